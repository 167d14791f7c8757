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
import dev.spoke.StatusException;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.InMemoryTransport;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.nio.ByteBuffer;
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

  /** Delegates to a transport; a CALL_START's commit faults (aborted, as the lost memory is). */
  static final class FaultingAtStart implements Transport {
    final InternalError fault = new InternalError("a fault occurred in an unsafe memory access operation");
    private final Transport delegate;
    private final boolean explains;

    FaultingAtStart(Transport delegate, boolean explains) {
      this.delegate = delegate;
      this.explains = explains;
    }

    @Override
    public void start(FrameListener listener) {
      delegate.start(listener);
    }

    @Override
    public OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException {
      OutboundFrame frame = delegate.claim(payloadLength, deadlineNanos);
      return new OutboundFrame() {
        @Override
        public ByteBuffer payload() {
          return frame.payload();
        }

        @Override
        public FrameHeader header() {
          return frame.header();
        }

        @Override
        public void commit() throws StatusException {
          if (frame.header().kind() == FrameKind.CALL_START) {
            frame.abort();
            throw fault;
          }
          frame.commit();
        }

        @Override
        public void abort() {
          frame.abort();
        }
      };
    }

    @Override
    public Status explainFault(Throwable error) {
      return explains && error == fault ? LOST : null;
    }

    @Override
    public int maxPayloadLength() {
      return delegate.maxPayloadLength();
    }

    @Override
    public void close(Status status) {
      delegate.close(status);
    }

    @Override
    public String remoteName() {
      return delegate.remoteName();
    }
  }

  private WorkerPool pool;
  private Connection server;
  private Connection client;
  private FaultingAtStart transport;

  private void connect(boolean explains) {
    InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
    pool = WorkerPool.builder("transport-fault").build();
    server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(new TestService().definition()))
        .executor(pool).localName("server").build().start();
    transport = new FaultingAtStart(pair[0], explains);
    client = Connection.builder(transport).executor(pool).localName("client").build().start();
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
    assertSame(transport.fault, e.getStatus().getCause());
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
    assertSame(transport.fault, raw);
    call.cancel("the request could not be sent", raw);
    Status s = closed.get(10, TimeUnit.SECONDS);
    assertNotNull(s);
    assertEquals(Status.Code.CANCELLED, s.getCode(), s.toString());
    assertSame(raw, s.getCause());
  }
}
