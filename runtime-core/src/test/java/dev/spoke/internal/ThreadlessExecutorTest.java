package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The owner's wait when the caller receive meets a fault in mapped memory: the JVM raises it late, in
 * the wait, and the executor must hand it to the transport rather than to the caller.
 */
class ThreadlessExecutorTest {

  private static InternalError fault() {
    return new InternalError("a fault occurred in a recent unsafe memory access operation in compiled Java code");
  }

  private static long inSeconds(int s) {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(s);
  }

  @Test
  void aFaultTheTransportExplainsEndsInTheCallsCloseNotInTheCaller() throws Exception {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    List<String> ran = new ArrayList<>();
    AtomicInteger receives = new AtomicInteger();
    List<Throwable> explained = new ArrayList<>();
    AtomicInteger ends = new AtomicInteger();
    executor.receiveWith(() -> {
      receives.incrementAndGet();
      throw fault();
    }, ends::incrementAndGet, null, e -> {
      explained.add(e);
      executor.execute(() -> ran.add("closed")); // as a transport closing itself closes the call
      return true;
    });
    assertTrue(executor.waitAndDrain(inSeconds(10)));
    assertEquals(List.of("closed"), ran);
    assertEquals(1, explained.size());
    assertEquals(1, receives.get());
    // One end per spin: the spin the fault stopped, and the one that found the close.
    assertEquals(2, ends.get(), "the receiver is ended when a fault stops the spin, too");
    executor.shutdown();
  }

  @Test
  void aTaskThatWillNeverRunHearsSoWhetherQueuedBeforeShutdownOrOfferedAfter() throws Exception {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    List<String> heard = new ArrayList<>();
    executor.execute(droppable("first", heard));
    executor.execute(droppable("second", heard));
    executor.execute(() -> heard.add("plain task: ran")); // plain tasks are simply dropped
    executor.shutdown();
    Thread other = new Thread(() -> executor.execute(droppable("late", heard)));
    other.start();
    other.join();
    assertEquals(List.of("first dropped", "second dropped", "late dropped"), heard);
  }

  private static ThreadlessExecutor.Droppable droppable(String name, List<String> heard) {
    return new ThreadlessExecutor.Droppable() {
      @Override
      public void run() {
        heard.add(name + " ran");
      }

      @Override
      public void dropped() {
        heard.add(name + " dropped");
      }
    };
  }

  @Test
  void aFaultNobodyExplainsIsRethrown() {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    InternalError error = fault();
    executor.receiveWith(() -> {
      throw error;
    }, null, null, e -> false);
    assertSame(error, assertThrows(InternalError.class, () -> executor.waitAndDrain(inSeconds(10))));
    executor.shutdown();
  }

  /**
   * A waiter whose time is up before its first look (as a thread preempted for longer than its spin
   * right after it began) still looks once: a response that is there is taken, not parked on.
   */
  @Test
  void aWaiterLooksOnceEvenWhenItsTimeIsUpBeforeItsFirstLook() throws Exception {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    AtomicInteger looks = new AtomicInteger();
    executor.receiveWith(() -> {
      looks.incrementAndGet();
      return 0;
    });
    assertFalse(executor.waitAndDrain(System.nanoTime() - 1));
    assertTrue(looks.get() > 0, "gave up without a look");
    executor.shutdown();
  }

  @Test
  void faultsThatKeepComingAreRethrownAfterAFew() {
    // A transport that says "mine" but never closes (so the wait would go on meeting faults for ever).
    ThreadlessExecutor executor = new ThreadlessExecutor();
    AtomicInteger explained = new AtomicInteger();
    executor.receiveWith(() -> {
      throw fault();
    }, null, null, e -> {
      explained.incrementAndGet();
      return true;
    });
    assertThrows(InternalError.class, () -> executor.waitAndDrain(inSeconds(10)));
    assertEquals(3, explained.get());
    executor.shutdown();
  }

  @Test
  void withoutAReceiverTheWaitEndsAtItsDeadline() throws Exception {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    long start = System.nanoTime();
    assertFalse(executor.waitAndDrain(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50)));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50));
    executor.shutdown();
  }

  @Test
  void theReceiverIsEndedOnEveryWayOutOfTheSpin() throws Exception {
    // A receiver may keep a transport's delivery role between looks: whatever ends the spin — a task,
    // the deadline, an interrupt — it must be told, once per spin, or the role stays with this thread.
    // And told it parks, after the end, only when the spin found nothing: a transport's own receiver
    // that stood back while the owner looked takes over then (Transport#callerParks).
    AtomicInteger looks = new AtomicInteger();
    AtomicInteger ends = new AtomicInteger();
    List<String> order = new ArrayList<>();
    ThreadlessExecutor executor = new ThreadlessExecutor();
    executor.receiveWith(() -> {
      if (looks.incrementAndGet() == 3) {
        executor.execute(() -> {});
      }
      return 0;
    }, () -> order.add("end " + ends.incrementAndGet()), () -> order.add("parks"), null);
    assertTrue(executor.waitAndDrain(inSeconds(10)));
    assertEquals(1, ends.get(), "ended when a task arrived");
    assertFalse(executor.waitAndDrain(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1)));
    assertEquals(2, ends.get(), "ended when the deadline passed");
    Thread.currentThread().interrupt();
    assertThrows(InterruptedException.class, () -> executor.waitAndDrain(inSeconds(10)));
    assertEquals(3, ends.get(), "ended when the owner was interrupted");
    assertEquals(List.of("end 1", "end 2", "parks", "end 3"), order);
    executor.shutdown();
  }
}
