package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spoke.CallOptions;
import dev.spoke.ClientCall;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.Conditions;
import dev.spoke.testing.TestService;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.InMemoryTransport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A cancel that comes while a call's CALL_START is on its way (committed, but the call not yet marked
 * as started) must still reach the server: otherwise the server serves, or waits, for a call its client
 * gave up long ago. A transport that runs the cancel right after the CALL_START's commit holds that
 * moment open.
 */
class CancelWhileStartingTest {

  @Test
  void aCancelRightAfterTheCallStartWasCommittedReachesTheServer() throws Exception {
    InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
    AtomicReference<Runnable> afterStart = new AtomicReference<>();
    WorkerPool pool = WorkerPool.builder("cancel-while-starting").build();
    TestService service = new TestService();
    Connection server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(service.definition()))
        .executor(pool).localName("server").build().start();
    // Runs a hook right after each CALL_START is committed.
    HookedTransport hooked = new HookedTransport(pair[0], frame -> {
      boolean start = frame.header().kind() == FrameKind.CALL_START;
      frame.commit();
      Runnable r = start ? afterStart.getAndSet(null) : null;
      if (r != null) {
        r.run();
      }
    }, e -> null);
    Connection client = Connection.builder(hooked).executor(pool).localName("client").build().start();
    try {
      ClientCall<TestRequest, TestResponse> call =
          client.channel().newCall(TestService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
      afterStart.set(() -> {
        // The server has the call; another thread cancels it while the sender is between the commit and
        // its bookkeeping.
        try {
          Conditions.waitUntil("the server has the call", 10, () -> server.activeCalls() == 1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        Thread canceller = new Thread(() -> call.cancel("given up while the start was on its way", null));
        canceller.start();
        try {
          canceller.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      ClientCalls.futureUnaryCall(call, TestRequest.newBuilder().setBlockUntilCancelled(true).build());
      Conditions.waitUntil("the server heard of the cancel and ended the call", 10, () -> server.activeCalls() == 0);
      if (!service.blocked.isEmpty()) { // the handler ran before the cancel came: it must have seen it
        Status seen = service.cancellationsSeen.poll(10, TimeUnit.SECONDS);
        assertEquals(Status.Code.CANCELLED, seen == null ? null : seen.getCode(), String.valueOf(seen));
      }
    } finally {
      client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      pool.shutdown();
    }
  }
}
