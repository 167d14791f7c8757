package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallContext;
import dev.spoke.CallOptions;
import dev.spoke.Context;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import dev.spoke.transport.InMemoryTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A call that starts while its connection closes: whoever ends it (the connection's failAll on
 * another thread among them) must see its deadline task and its parent's cancellation listener, so
 * that neither outlives the call.
 */
class ClientCallStartRaceTest {

  /** A parent call context that counts the listeners its child calls add and remove. */
  static final class CountingParent extends CallContext {
    final Set<CancellationListener> listeners = ConcurrentHashMap.newKeySet();

    @Override
    public String getMethodName() {
      return "test/Parent";
    }

    @Override
    public String getPeer() {
      return "test";
    }

    @Override
    public Deadline getDeadline() {
      return Deadline.after(1, TimeUnit.HOURS);
    }

    @Override
    public Metadata getHeaders() {
      return new Metadata();
    }

    @Override
    public Metadata getTrailers() {
      return new Metadata();
    }

    @Override
    public void addListener(CancellationListener listener, Executor executor) {
      listeners.add(listener);
    }

    @Override
    public void removeListener(CancellationListener listener) {
      listeners.remove(listener);
    }
  }

  @Test
  void callsStartingWhileTheConnectionClosesLeaveNoListenerBehind() throws Exception {
    for (int round = 0; round < 50; round++) {
      InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
      WorkerPool pool = WorkerPool.builder("race").build();
      TestService service = new TestService();
      Connection server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(service.definition()))
          .executor(pool).localName("server").build().start();
      Connection client = Connection.builder(pair[0]).executor(pool).localName("client").build().start();
      CountingParent parent = new CountingParent();
      List<CompletableFuture<TestResponse>> calls = java.util.Collections.synchronizedList(new ArrayList<>());
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> starters = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        starters.add(new Thread(() -> {
          Context previous = parent.attach();
          try {
            go.await();
            for (int i = 0; i < 300; i++) {
              calls.add(ClientCalls.futureUnaryCall(
                  client.channel().newCall(TestService.UNARY, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.HOURS)),
                  TestRequest.newBuilder().setId(thread * 1000L + i).build()));
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            parent.detach(previous);
          }
        }));
      }
      starters.forEach(Thread::start);
      go.countDown();
      // Close while the starters are in full flow: failAll on this thread races their starts.
      java.util.concurrent.locks.LockSupport.parkNanos(200_000L * (round % 5));
      client.shutdownNow(Status.UNAVAILABLE.withDescription("closed by the test"));
      for (Thread t : starters) {
        t.join();
      }
      for (CompletableFuture<TestResponse> c : calls) {
        c.handle((r, t) -> null).get(10, TimeUnit.SECONDS);
      }
      assertEquals(0, client.activeCalls(), "calls left in the table");
      assertTrue(parent.listeners.isEmpty(), "round " + round + ": " + parent.listeners.size()
          + " child calls ended but left their cancellation listener on the parent");
      server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      pool.shutdown();
    }
  }
}
