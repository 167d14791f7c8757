package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.DirectExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SerializingExecutorTest {

  @Test
  void tasksScheduledByARunningTaskKeepTheirOrder() {
    for (boolean direct : new boolean[] {true, false}) {
      WorkerPool pool = WorkerPool.builder("order").build();
      try {
        SerializingExecutor ex = new SerializingExecutor(direct ? DirectExecutor.INSTANCE : pool);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        ex.execute(() -> {
          order.add("T");
          ex.execute(() -> {
            order.add("A");
            ex.execute(() -> {
              order.add("C");
              done.countDown();
            });
          });
          ex.execute(() -> order.add("B"));
        });
        assertTrue(await(done));
        assertEquals(List.of("T", "A", "B", "C"), order, "direct=" + direct);
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void tasksFromManyThreadsNeverOverlapAndNoneIsLost() throws Exception {
    for (int round = 0; round < 4; round++) {
      manyThreadsRound(true);
      manyThreadsRound(false);
    }
  }

  private static void manyThreadsRound(boolean direct) throws Exception {
    WorkerPool pool = WorkerPool.builder("overlap").build();
    try {
      SerializingExecutor ex = new SerializingExecutor(direct ? DirectExecutor.INSTANCE : pool);
      AtomicInteger inside = new AtomicInteger();
      AtomicBoolean overlapped = new AtomicBoolean();
      // More producers than cores, so a runner is now and then preempted just as it lets go: the
      // moment a producer that queued a task could overtake it with its next one.
      int threads = 8;
      int perThread = 100_000;
      CountDownLatch all = new CountDownLatch(threads * perThread);
      List<Thread> ts = new ArrayList<>();
      int[] lastSeen = new int[threads];
      AtomicBoolean outOfOrder = new AtomicBoolean();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread th = new Thread(() -> {
          for (int i = 1; i <= perThread; i++) {
            int seq = i;
            ex.execute(() -> {
              if (inside.incrementAndGet() != 1) {
                overlapped.set(true);
              }
              if (lastSeen[thread] != seq - 1) {
                outOfOrder.set(true); // one producer's tasks run in the order it gave them
              }
              lastSeen[thread] = seq;
              if (seq % 1000 == 0) {
                ex.execute(() -> { }); // tasks scheduled from inside a task, too
              }
              inside.decrementAndGet();
              all.countDown();
            });
          }
        });
        ts.add(th);
        th.start();
      }
      for (Thread th : ts) {
        th.join();
      }
      assertTrue(all.await(30, TimeUnit.SECONDS), "tasks were lost (direct=" + direct + ")");
      assertFalse(overlapped.get(), "two tasks ran at once (direct=" + direct + ")");
      assertFalse(outOfOrder.get(), "a producer's tasks were reordered (direct=" + direct + ")");
    } finally {
      pool.shutdown();
    }
  }

  /** An executor that refuses every task, as a full bounded pool or a shut-down one does. */
  private static final Executor REFUSING = task -> {
    throw new RejectedExecutionException("refused for the test");
  };

  @Test
  void aRefusedRunTellsTheOwnerOnceAndRunsEveryTaskOnTheFallbackInOrder() throws Exception {
    WorkerPool fallback = WorkerPool.builder("fallback").build();
    try {
      List<String> order = Collections.synchronizedList(new ArrayList<>());
      List<Thread> ranOn = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger refusals = new AtomicInteger();
      CountDownLatch done = new CountDownLatch(1);
      SerializingExecutor[] ex = new SerializingExecutor[1];
      ex[0] = new SerializingExecutor(REFUSING, fallback, e -> {
        refusals.incrementAndGet();
        assertTrue(e instanceof RejectedExecutionException, "the refusal is the delegate's: " + e);
        // What the owner submits as it reacts (a call ending itself) queues behind the refused task.
        ex[0].execute(() -> {
          order.add("owner's reaction");
          ranOn.add(Thread.currentThread());
          done.countDown();
        });
      });
      ex[0].execute(() -> {
        order.add("first");
        ranOn.add(Thread.currentThread());
      });
      assertTrue(await(done), "the tasks never ran");
      assertEquals(List.of("first", "owner's reaction"), order);
      assertEquals(1, refusals.get());
      for (Thread t : ranOn) {
        assertTrue(t.getName().contains("fallback"), "ran on " + t.getName() + ", not on the fallback");
      }
    } finally {
      fallback.shutdown();
    }
  }

  @Test
  void aRunRefusedByTheFallbackTooRunsOnTheSubmittingThread() {
    List<Thread> ranOn = new ArrayList<>();
    SerializingExecutor ex = new SerializingExecutor(REFUSING, REFUSING, e -> { });
    ex.execute(() -> ranOn.add(Thread.currentThread()));
    ex.execute(() -> ranOn.add(Thread.currentThread()));
    assertEquals(List.of(Thread.currentThread(), Thread.currentThread()), ranOn);
  }

  @Test
  void withoutAFallbackTheRefusalReachesTheSubmitterAndTheTaskWaitsForTheNextRun() {
    AtomicBoolean refuse = new AtomicBoolean(true);
    List<String> ran = new ArrayList<>();
    SerializingExecutor ex = new SerializingExecutor(task -> {
      if (refuse.get()) {
        throw new RejectedExecutionException("refused for the test");
      }
      task.run();
    });
    assertThrows(RejectedExecutionException.class, () -> ex.execute(() -> ran.add("first")));
    refuse.set(false);
    ex.execute(() -> ran.add("second"));
    assertEquals(List.of("first", "second"), ran);
  }

  @Test
  void aFallbackComesWithARefusalHandler() {
    assertThrows(IllegalArgumentException.class, () -> new SerializingExecutor(REFUSING, REFUSING, null));
    assertThrows(IllegalArgumentException.class, () -> new SerializingExecutor(REFUSING, null, e -> { }));
  }

  private static boolean await(CountDownLatch l) {
    try {
      return l.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
