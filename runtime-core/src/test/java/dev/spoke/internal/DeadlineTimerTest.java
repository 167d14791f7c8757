package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DeadlineTimerTest {

  @Test
  void tasksFireNeverEarlyAndCancelledOnesNever() throws Exception {
    DeadlineTimer timer = DeadlineTimer.shared();
    int n = 20_000;
    Random rnd = new Random(3);
    long start = System.nanoTime();
    CountDownLatch fired = new CountDownLatch(n / 2);
    AtomicInteger firedCancelled = new AtomicInteger();
    ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
    List<DeadlineTimer.Task> toCancel = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean cancel = i % 2 == 1;
      // Tasks to cancel are due after 1 s, long after the loop has cancelled them all.
      long deadline = start + TimeUnit.MILLISECONDS.toNanos(cancel ? 1000 + rnd.nextInt(200) : rnd.nextInt(300));
      DeadlineTimer.Task t = new DeadlineTimer.Task() {
        @Override
        protected void expire() {
          if (System.nanoTime() - deadline < 0) {
            early.add("fired " + (deadline - System.nanoTime()) + " ns early");
          }
          if (cancel) {
            firedCancelled.incrementAndGet();
          } else {
            fired.countDown();
          }
        }
      };
      timer.schedule(t, deadline);
      if (cancel) {
        toCancel.add(t);
      }
    }
    toCancel.forEach(DeadlineTimer.Task::cancel);
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1000), "the loop was too slow for the test");
    assertTrue(fired.await(10, TimeUnit.SECONDS), "uncancelled tasks did not all fire");
    // A sentinel due after every cancelled deadline: once it fires, any of them would have too.
    CountDownLatch sentinel = new CountDownLatch(1);
    timer.schedule(new DeadlineTimer.Task() {
      @Override
      protected void expire() {
        sentinel.countDown();
      }
    }, start + TimeUnit.MILLISECONDS.toNanos(1300));
    assertTrue(sentinel.await(10, TimeUnit.SECONDS));
    assertTrue(early.isEmpty(), () -> early.peek());
    assertEquals(0, firedCancelled.get(), "cancelled tasks fired");
  }

  @Test
  void anEarlierDeadlineWakesASleepingTimer() throws Exception {
    DeadlineTimer timer = DeadlineTimer.shared();
    CountDownLatch far = new CountDownLatch(1);
    timer.schedule(new DeadlineTimer.Task() {
      @Override
      protected void expire() {
        far.countDown();
      }
    }, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    CountDownLatch near = new CountDownLatch(1);
    long start = System.nanoTime();
    timer.schedule(new DeadlineTimer.Task() {
      @Override
      protected void expire() {
        near.countDown();
      }
    }, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
    assertTrue(near.await(5, TimeUnit.SECONDS), "the near deadline never fired");
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
    assertEquals(1, far.getCount(), "the far one has not fired");
  }
}
