package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waiting on conditions with a deadline, and facts about processes, for the examples' tests. */
public final class Conditions {

  private Conditions() {}

  /** Waits until {@code condition} holds, looking every few milliseconds; fails after {@code limit}. */
  public static void waitUntil(String what, Duration limit, BooleanSupplier condition) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("waited " + limit.toSeconds() + " s until " + what + ", in vain");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /** True once the process is gone or a zombie (dead, not yet reaped by whoever adopted it). */
  public static boolean dead(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      try {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
      } catch (IOException | RuntimeException e) {
        return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      }
    }
    return true;
  }
}
