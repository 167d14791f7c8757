package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.DirectExecutor;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.transport.InMemoryTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The everyday gRPC-java API over the in-memory pair, and what a crash of the serving end reports. */
class InMemoryCallApiTest extends AbstractCallApiTest {

  @Override
  protected AbstractCallLayerTest.TransportPair newTransportPair() {
    InMemoryTransport[] pair = InMemoryTransport.pair("api-client", "api-server");
    return new AbstractCallLayerTest.TransportPair(pair[0], pair[1], () -> {});
  }

  @Test
  void aCrashTellsCallsNeverReadFromCallsThatMayHaveRun() throws Exception {
    // A server whose handlers run on its receive thread: one that blocks stops it reading, so the
    // calls after it stay unread when the server "dies".
    InMemoryTransport[] pair = InMemoryTransport.pair("crash-client", "crash-server");
    TestService blocking = new TestService();
    WorkerPool pool = WorkerPool.builder("crash").build();
    Connection srv = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(blocking.definition(),
        DirectExecutor.INSTANCE)).executor(pool).localName("crash-server").build().start();
    Connection cli = Connection.builder(pair[0]).executor(pool).localName("crash-client").build().start();
    try {
      CompletableFuture<TestResponse> taken = ClientCalls.futureUnaryCall(cli.channel().newCall(TestService.UNARY,
          CallOptions.DEFAULT), TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build());
      assertNotNull(blocking.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS), "the first call did not reach its handler");
      List<CompletableFuture<TestResponse>> unread = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        unread.add(ClientCalls.futureUnaryCall(cli.channel().newCall(TestService.UNARY, CallOptions.DEFAULT), request(10 + i)));
      }
      // The frame whose handler blocks the receive thread counts until it returns: 1 + 5.
      Conditions.waitUntil("the five calls wait for the server", WAIT_SECONDS, () -> pair[1].framesInFlight() == 6);
      pair[1].crash(Status.UNAVAILABLE.withDescription("the server process died"));

      StatusRuntimeException mayHaveRun = failure(taken);
      assertEquals(Status.Code.UNAVAILABLE, mayHaveRun.getStatus().getCode());
      assertFalse(CallNotRun.isMarked(mayHaveRun), "a call its handler took was reported as never run");
      for (CompletableFuture<TestResponse> f : unread) {
        StatusRuntimeException e = failure(f);
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(CallNotRun.isMarked(e), "an unread call was not reported: " + e.getStatus());
        assertEquals(CallNotRun.UNREAD, e.getTrailers().get(CallNotRun.KEY));
        assertTrue(e.getStatus().getDescription().contains("did not run"), e.getStatus().getDescription());
      }
      // A call made after the crash was never sent: it did not run either.
      StatusRuntimeException after = failure(ClientCalls.futureUnaryCall(
          cli.channel().newCall(TestService.UNARY, CallOptions.DEFAULT), request(99)));
      assertEquals(CallNotRun.NOT_SENT, after.getTrailers().get(CallNotRun.KEY));
    } finally {
      cli.shutdownNow(Status.UNAVAILABLE);
      srv.shutdownNow(Status.UNAVAILABLE);
      pool.shutdown();
    }
  }
}
