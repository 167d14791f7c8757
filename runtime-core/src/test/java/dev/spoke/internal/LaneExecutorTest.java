package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LaneExecutorTest {

  /** Queues tasks for the test to run by hand, refusing while {@link #refuse} is set. */
  private static final class ManualExecutor implements Executor {
    final ArrayDeque<Runnable> queued = new ArrayDeque<>();
    boolean refuse;

    @Override
    public void execute(Runnable task) {
      if (refuse) {
        throw new RejectedExecutionException("refused for the test");
      }
      queued.add(task);
    }

    void runAll() {
      Runnable r;
      while ((r = queued.poll()) != null) {
        r.run();
      }
    }
  }

  @Test
  void aRefusedTaskIsThrownToItsSubmitterAndNeverRunsLater() {
    ManualExecutor shared = new ManualExecutor();
    LaneExecutor lane = new LaneExecutor(shared, 2);
    List<String> ran = new ArrayList<>();
    lane.execute(() -> ran.add("a"));
    shared.refuse = true;
    assertThrows(RejectedExecutionException.class,
        () -> lane.execute(() -> ran.add("b")));
    shared.refuse = false;
    shared.runAll();
    lane.execute(() -> ran.add("c"));
    shared.runAll();
    assertEquals(List.of("a", "c"), ran, "the refused task is its submitter's to run, not the lane's");
    assertEquals(0, lane.backlog());
  }

  @Test
  void aTaskRefusedForAnotherSubmitterRunsOnceOnTheThreadThatMetTheRefusal() {
    ManualExecutor shared = new ManualExecutor();
    LaneExecutor lane = new LaneExecutor(shared, 1);
    List<String> ran = new ArrayList<>();
    lane.execute(() -> ran.add("a")); // waits in the shared executor
    lane.execute(() -> ran.add("b")); // held: the lane's one place there is taken
    shared.refuse = true;
    // "a" starts and hands "b" on, which is refused: its submitter was told it was taken, and no later
    // look may come, so the thread starting "a" runs it.
    shared.runAll();
    assertEquals(2, ran.size(), "ran " + ran);
    assertTrue(ran.containsAll(List.of("a", "b")), "ran " + ran);
    assertEquals(0, lane.backlog());
  }

  @Test
  void aTaskHeldWhileOtherSubmittersAreRefusedIsNotLeftBehind() throws Exception {
    // Two submitters take the lane's two places and are held in the shared executor, which then refuses
    // them; meanwhile a third task finds both places taken and is held. Once both refusals return, no
    // start of the lane is left to look at the held task: the refused submitters must.
    CountDownLatch inExecute = new CountDownLatch(2);
    CountDownLatch refuseNow = new CountDownLatch(1);
    Executor slowToRefuse = task -> {
      inExecute.countDown();
      await(refuseNow);
      throw new RejectedExecutionException("refused for the test");
    };
    LaneExecutor lane = new LaneExecutor(slowToRefuse, 2);
    AtomicInteger refusedSubmitters = new AtomicInteger();
    List<Thread> submitters = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Thread t = new Thread(() -> {
        try {
          lane.execute(() -> { });
        } catch (RejectedExecutionException expected) {
          refusedSubmitters.incrementAndGet();
        }
      });
      submitters.add(t);
      t.start();
    }
    assertTrue(inExecute.await(10, TimeUnit.SECONDS));
    AtomicInteger heldRan = new AtomicInteger();
    lane.execute(heldRan::incrementAndGet); // both places taken: held, and this returns
    refuseNow.countDown();
    for (Thread t : submitters) {
      t.join(10_000);
    }
    assertEquals(2, refusedSubmitters.get(), "each refused submitter hears of its own task");
    assertEquals(1, heldRan.get(), "the held task ran once, on a thread that met a refusal");
    assertEquals(0, lane.backlog());
  }

  @Test
  void aTaskTheExecutorRanDespiteThrowingRunsOnce() {
    List<String> ran = new ArrayList<>();
    // Runs the task, then throws: as a caller-runs policy does when the task itself throws.
    Executor runsThenThrows = task -> {
      task.run();
      throw new RejectedExecutionException("after running it");
    };
    LaneExecutor lane = new LaneExecutor(runsThenThrows, 2);
    lane.execute(() -> ran.add("a"));
    assertEquals(List.of("a"), ran, "a task the executor ran is not run again, nor thrown back");
    assertEquals(0, lane.backlog());
  }

  @Test
  void aFloodingLaneQueuesBehindItselfNotInFrontOfOthers() throws Exception {
    ExecutorService shared = Executors.newSingleThreadExecutor();
    try {
      LaneExecutor flood = new LaneExecutor(shared, 2);
      LaneExecutor other = new LaneExecutor(shared, 2);
      List<String> ran = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch firstStarted = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      flood.execute(() -> {
        ran.add("flood-0");
        firstStarted.countDown();
        await(release);
      });
      for (int i = 1; i < 1000; i++) {
        int n = i;
        flood.execute(() -> ran.add("flood-" + n));
      }
      assertTrue(firstStarted.await(10, TimeUnit.SECONDS));
      CountDownLatch otherRan = new CountDownLatch(1);
      other.execute(() -> {
        ran.add("other");
        otherRan.countDown();
      });
      release.countDown();
      assertTrue(otherRan.await(10, TimeUnit.SECONDS));
      int position = ran.indexOf("other");
      // The flood's first task, then at most its two waiting ones: the other lane's task comes next.
      // The message is built only on failure, from a copy: the flood's tasks are still being added.
      assertTrue(position <= 3, () -> "the other lane's task ran after " + position + " of the flood's: "
          + firstOf(ran, 5));
      waitUntilAllRan(ran, 1001);
      List<String> floodOrder = new ArrayList<>(ran);
      floodOrder.remove("other");
      for (int i = 0; i < 1000; i++) {
        assertEquals("flood-" + i, floodOrder.get(i), "a lane keeps its tasks in order on a one-thread executor");
      }
    } finally {
      shared.shutdownNow();
    }
  }

  @Test
  void tasksThatBlockDoNotNarrowTheLane() throws Exception {
    // Waiting counts only until a task starts: blocked tasks hold pool threads, not the lane.
    WorkerPool pool = WorkerPool.builder("lane-test").build();
    try {
      LaneExecutor lane = new LaneExecutor(pool, 1);
      CountDownLatch release = new CountDownLatch(1);
      AtomicInteger blocked = new AtomicInteger();
      int blockers = 8;
      for (int i = 0; i < blockers; i++) {
        lane.execute(() -> {
          blocked.incrementAndGet();
          await(release);
        });
      }
      dev.spoke.testing.Conditions.waitUntil("every blocking task of the lane runs at once", 30,
          () -> blocked.get() == blockers);
      CountDownLatch after = new CountDownLatch(1);
      lane.execute(after::countDown);
      assertTrue(after.await(30, TimeUnit.SECONDS), "a task queued behind blocked ones never ran");
      release.countDown();
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void manyThreadsFeedingOneLaneLoseNoTask() throws Exception {
    WorkerPool pool = WorkerPool.builder("lane-stress").build();
    try {
      LaneExecutor lane = new LaneExecutor(pool, 2);
      AtomicInteger ran = new AtomicInteger();
      int threads = 4;
      int each = 20_000;
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ts.add(new Thread(() -> {
          for (int i = 0; i < each; i++) {
            lane.execute(ran::incrementAndGet);
          }
        }));
      }
      ts.forEach(Thread::start);
      for (Thread t : ts) {
        t.join();
      }
      dev.spoke.testing.Conditions.waitUntil("every task runs", 30, () -> ran.get() == threads * each);
      dev.spoke.testing.Conditions.waitUntil("nothing is left in the lane", 30, () -> lane.backlog() == 0);
    } finally {
      pool.shutdown();
    }
  }

  private static void waitUntilAllRan(List<String> ran, int n) throws InterruptedException {
    dev.spoke.testing.Conditions.waitUntil(n + " tasks ran", 30, () -> ran.size() == n);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The first {@code n} entries of a synchronized list that other threads may still be adding to. */
  private static List<String> firstOf(List<String> list, int n) {
    synchronized (list) {
      return new ArrayList<>(list.subList(0, Math.min(n, list.size())));
    }
  }
}
