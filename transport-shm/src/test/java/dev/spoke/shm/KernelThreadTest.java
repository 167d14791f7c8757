package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spoke.testing.Conditions;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the standby reads of a watched thread: its kernel id, its run state, its CPU time. */
class KernelThreadTest {

  private static void assumeProc() {
    assumeTrue(Files.isReadable(Paths.get("/proc/thread-self/schedstat")), "no /proc/thread-self/schedstat here");
  }

  @Test
  void eachThreadHasItsOwnIdAmongThisProcesssTasks() throws Exception {
    assumeProc();
    int mine = KernelThread.currentId();
    AtomicInteger other = new AtomicInteger();
    Thread t = new Thread(() -> other.set(KernelThread.currentId()));
    t.start();
    t.join(10_000);
    assertTrue(mine > 0, "no id for the calling thread");
    assertTrue(other.get() > 0, "no id for another thread");
    assertNotEquals(mine, other.get());
    assertTrue(Files.isDirectory(Paths.get("/proc/self/task/" + mine)), "id " + mine + " is not a task of this process");
  }

  @Test
  void aParkedThreadIsNotRunnableAndASpinningOneIsAndGainsCpuTime() throws Exception {
    assumeProc();
    AtomicInteger id = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    AtomicBoolean spin = new AtomicBoolean();
    AtomicBoolean stop = new AtomicBoolean();
    Thread t = new Thread(() -> {
      id.set(KernelThread.currentId());
      started.countDown();
      while (!stop.get()) {
        if (spin.get()) {
          Thread.onSpinWait();
        } else {
          java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
      }
    }, "kernel-thread-test");
    t.setDaemon(true);
    t.start();
    try {
      assertTrue(started.await(10, TimeUnit.SECONDS));
      assertNotNull(KernelThread.sample(id.get()), "could not read thread " + id.get());
      // Parked nearly all the time: some sample soon finds it asleep.
      Conditions.waitUntil("a sample reads the parked thread asleep", 10,
          () -> !KernelThread.sample(id.get()).runnable());

      spin.set(true);
      KernelThread.Sample first = KernelThread.sample(id.get());
      Conditions.waitUntil("the spinning thread gained 20 ms of CPU time", 10,
          () -> KernelThread.sample(id.get()).cpuNanos() - first.cpuNanos() >= 20_000_000);
      KernelThread.Sample later = KernelThread.sample(id.get());
      assertTrue(later.runnable(), "a spinning thread read as " + later);
    } finally {
      stop.set(true);
      t.join(10_000);
    }
    assertFalse(t.isAlive());
  }

  @Test
  void anIdThatIsNoThreadOfThisProcessReadsAsUnknown() {
    assertNull(KernelThread.sample(0));
    assertNull(KernelThread.sample(-5));
    assertNull(KernelThread.sample(Integer.MAX_VALUE));
  }
}
