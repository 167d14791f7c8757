package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallOptions;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.InMemoryTransport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A caller whose send meets a fault in the transport's own memory (the JVM's {@link InternalError} for
 * a mapped file truncated under it) hears the transport's status, even when the thread that closes the
 * transport, and the call with it, has not reached the call yet: the cancel the stub makes must not
 * turn that into CANCELLED. The transport here faults at the CALL_START's commit and explains that
 * fault, but is never closed, which holds that moment open for good.
 */
class TransportFaultCancelTest {

  private static final Status LOST = Status.UNAVAILABLE.withDescription("the hub is lost: its file was truncated");

  private static final InternalError FAULT = new InternalError("a fault occurred in an unsafe memory access operation");

  private WorkerPool pool;
  private Connection server;
  private Connection client;

  private void connect(boolean explains) {
    InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
    pool = WorkerPool.builder("transport-fault").build();
    server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(new TestService().definition()))
        .executor(pool).localName("server").build().start();
    // A CALL_START's commit faults (the frame aborted, as the lost memory is); the fault is explained, or not.
    HookedTransport faulting = new HookedTransport(pair[0], frame -> {
      if (frame.header().kind() == FrameKind.CALL_START) {
        frame.abort();
        throw FAULT;
      }
      frame.commit();
    }, e -> explains && e == FAULT ? LOST : null);
    client = Connection.builder(faulting).executor(pool).localName("client").build().start();
  }

  @BeforeEach
  void noConnectionYet() {
    pool = null;
  }

  @AfterEach
  void close() {
    if (pool != null) {
      client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      pool.shutdown();
    }
  }

  private static CallOptions options() {
    return CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void aBlockingUnaryCallHearsTheTransportsStatus() {
    connect(true);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(client.channel(), TestService.UNARY, options(), TestRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(LOST.getDescription()), e.getStatus().toString());
    assertSame(FAULT, e.getStatus().getCause());
    assertEquals(0, client.activeCalls(), "the call is over");
  }

  @Test
  void aBlockingStreamHearsTheTransportsStatus() {
    connect(true);
    BlockingResponseStream<TestResponse> stream = ClientCalls.blockingServerStreamingCall(
        client.channel(), TestService.SERVER_STREAM, options(), TestRequest.getDefaultInstance());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, stream::hasNext);
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(LOST.getDescription()), e.getStatus().toString());
  }

  @Test
  void aFaultTheTransportDoesNotExplainStaysRawAndTheCallCancelled() throws Exception {
    connect(false);
    ClientCall<TestRequest, TestResponse> call = client.channel().newCall(TestService.UNARY, options());
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.sendMessage(TestRequest.getDefaultInstance());
    InternalError raw = assertThrows(InternalError.class, call::halfClose);
    assertSame(FAULT, raw);
    call.cancel("the request could not be sent", raw);
    Status s = closed.get(10, TimeUnit.SECONDS);
    assertNotNull(s);
    assertEquals(Status.Code.CANCELLED, s.getCode(), s.toString());
    assertSame(raw, s.getCause());
  }
}
