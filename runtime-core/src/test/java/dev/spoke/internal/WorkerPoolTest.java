package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  @Test
  void everyTaskFromManyThreadsRunsExactlyOnce() throws Exception {
    WorkerPool pool = WorkerPool.builder("once").build();
    try {
      int threads = 4;
      int perThread = 50_000;
      AtomicIntegerArray runs = new AtomicIntegerArray(threads * perThread);
      CountDownLatch done = new CountDownLatch(threads * perThread);
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int base = t * perThread;
        Thread th = new Thread(() -> {
          for (int i = 0; i < perThread; i++) {
            int slot = base + i;
            pool.execute(() -> {
              runs.incrementAndGet(slot);
              done.countDown();
            });
          }
        });
        ts.add(th);
        th.start();
      }
      for (Thread th : ts) {
        th.join();
      }
      assertTrue(done.await(30, TimeUnit.SECONDS), "tasks were lost");
      for (int i = 0; i < runs.length(); i++) {
        assertEquals(1, runs.get(i), "task " + i);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void blockedTasksDoNotStarveOthersAndTheMaximumQueuesTheRest() throws Exception {
    WorkerPool pool = WorkerPool.builder("block").maxThreads(8).build();
    CountDownLatch release = new CountDownLatch(1);
    try {
      CountDownLatch blocked = new CountDownLatch(5);
      for (int i = 0; i < 5; i++) {
        pool.execute(() -> {
          blocked.countDown();
          await(release);
        });
      }
      assertTrue(blocked.await(10, TimeUnit.SECONDS), "the pool did not grow for blocked tasks");
      CountDownLatch others = new CountDownLatch(1000);
      for (int i = 0; i < 1000; i++) {
        pool.execute(others::countDown);
      }
      assertTrue(others.await(10, TimeUnit.SECONDS), "five blocked tasks starved the rest");
      assertTrue(pool.threadCount() <= 8, "threads: " + pool.threadCount());
      // At the maximum, tasks wait in the back-log and still all run.
      CountDownLatch more = new CountDownLatch(3);
      AtomicInteger started = new AtomicInteger();
      for (int i = 0; i < 6; i++) {
        pool.execute(() -> {
          if (started.incrementAndGet() <= 3) {
            await(release);
          }
          more.countDown();
        });
      }
      release.countDown();
      assertTrue(more.await(10, TimeUnit.SECONDS), "back-logged tasks never ran");
    } finally {
      release.countDown();
      pool.shutdown();
    }
  }

  @Test
  void aBurstOfShortTasksRunsOnTheEagerThreadsAlone() throws Exception {
    // A flood of short tasks (a plugin's 20,000 calls) must not start a thread per task that finds
    // every worker busy: they would only take turns on the cores.
    // A long stall interval keeps the watchdog out of it: this is about the eager threads alone.
    WorkerPool pool = WorkerPool.builder("burst").eagerThreads(3).stallInterval(10, TimeUnit.SECONDS).build();
    try {
      int producers = 2;
      int perProducer = 100_000;
      CountDownLatch done = new CountDownLatch(producers * perProducer);
      AtomicInteger mostThreads = new AtomicInteger();
      List<Thread> ts = new ArrayList<>();
      for (int t = 0; t < producers; t++) {
        Thread th = new Thread(() -> {
          for (int i = 0; i < perProducer; i++) {
            pool.execute(() -> {
              mostThreads.accumulateAndGet(pool.threadCount(), Math::max);
              done.countDown();
            });
          }
        });
        ts.add(th);
        th.start();
      }
      for (Thread th : ts) {
        th.join();
      }
      assertTrue(done.await(30, TimeUnit.SECONDS), "tasks were lost");
      assertTrue(mostThreads.get() <= 3, "a burst of short tasks ran on " + mostThreads.get() + " threads");
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void whenEveryWorkerIsBlockedThePoolGrowsBeyondItsEagerThreads() throws Exception {
    WorkerPool pool = WorkerPool.builder("grow").eagerThreads(2).stallInterval(2, TimeUnit.MILLISECONDS).build();
    int tasks = 12;
    CountDownLatch allStarted = new CountDownLatch(tasks);
    CountDownLatch done = new CountDownLatch(tasks);
    try {
      // Each task waits until all of them run at once: only a pool that grows to 12 finishes.
      for (int i = 0; i < tasks; i++) {
        pool.execute(() -> {
          allStarted.countDown();
          await(allStarted);
          done.countDown();
        });
      }
      assertTrue(done.await(30, TimeUnit.SECONDS), "blocked workers never got help: " + pool);
      assertTrue(pool.threadCount() >= tasks, pool.toString());
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void aTaskRacingTheShutdownRunsOrIsRefusedNeverStranded() throws Exception {
    // Threads submit tasks while the pool shuts down. Each task must either run or be refused
    // (RejectedExecutionException, so its submitter can run it elsewhere): a task accepted into the
    // backlog after the last worker looked, with no worker left to look again, would wait forever (an
    // in-process call's ending was lost so).
    for (int round = 0; round < 300; round++) {
      WorkerPool pool = WorkerPool.builder("shutdown-race").eagerThreads(1).maxSpin(0, TimeUnit.NANOSECONDS).build();
      AtomicInteger ran = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      int submitters = 3;
      int perSubmitter = 200;
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < submitters; t++) {
        Thread th = new Thread(() -> {
          await(go);
          for (int i = 0; i < perSubmitter; i++) {
            try {
              pool.execute(ran::incrementAndGet);
            } catch (java.util.concurrent.RejectedExecutionException e) {
              refused.incrementAndGet();
            }
          }
        });
        th.start();
        threads.add(th);
      }
      go.countDown();
      // The shutdown lands at a different point of the submissions from round to round.
      java.util.concurrent.locks.LockSupport.parkNanos(50_000L * (round % 3));
      pool.shutdown();
      for (Thread th : threads) {
        th.join(10_000);
      }
      int round0 = round;
      dev.spoke.testing.Conditions.waitUntil("every task of round " + round0 + " ran or was refused", 10,
          () -> ran.get() + refused.get() >= submitters * perSubmitter);
      assertEquals(submitters * perSubmitter, ran.get() + refused.get(), "round " + round + ": "
          + ran.get() + " ran and " + refused.get() + " were refused; the rest were accepted and never ran");
    }
  }

  @Test
  void idleWorkersRetireAfterTheirKeepAlive() throws Exception {
    WorkerPool pool = WorkerPool.builder("retire").keepAlive(50, TimeUnit.MILLISECONDS).build();
    try {
      CountDownLatch go = new CountDownLatch(1);
      CountDownLatch running = new CountDownLatch(4);
      for (int i = 0; i < 4; i++) {
        pool.execute(() -> {
          running.countDown();
          await(go);
        });
      }
      assertTrue(running.await(10, TimeUnit.SECONDS));
      assertEquals(4, pool.threadCount());
      go.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (pool.threadCount() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, pool.threadCount(), "idle workers did not retire");
    } finally {
      pool.shutdown();
    }
  }

  static void await(CountDownLatch l) {
    try {
      l.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
