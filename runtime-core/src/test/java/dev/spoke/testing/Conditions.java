package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting on a condition with a deadline, for tests across the modules. */
public final class Conditions {

  private Conditions() {}

  /** Waits until {@code condition} holds, looking every millisecond; fails after {@code seconds}, naming {@code what}. */
  public static void waitUntil(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        fail("timed out after " + seconds + "s waiting until " + what);
      }
      Thread.sleep(1);
    }
  }
}
