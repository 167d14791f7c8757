package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The watch clock's one promise: the time it says a thread has been in application code is never more
 * than the thread has really been there, however long the watchdog slept; and not much less either.
 */
class WatchClockTest {

  @Test
  void aTickReadSinceTheLastTickMayHaveBeenReadJustNow() {
    long read = WatchClock.current();
    long now = System.nanoTime();
    assertEquals(0, WatchClock.elapsedSince(read, now + 1_000_000_000L),
        "no tick came after it: the reader may have entered a moment ago");
  }

  @Test
  void aTickIsCountedFromTheTickAfterIt() {
    long read = WatchClock.current();
    long t = System.nanoTime();
    WatchClock.tick(t);
    assertEquals(0, WatchClock.elapsedSince(read, t));
    assertEquals(500_000, WatchClock.elapsedSince(read, t + 500_000));
    // Later ticks do not move the bound of an earlier read.
    WatchClock.tick(t + 100_000);
    assertEquals(500_000, WatchClock.elapsedSince(read, t + 500_000));
  }

  @Test
  void aWatchdogWakingFromALongSleepDoesNotCountTheSleep() {
    // The reader entered long after the last tick (the watchdog slept): it read that old tick, and the
    // first tick after the sleep bounds it, so it is not due at once.
    WatchClock.tick(System.nanoTime());
    long read = WatchClock.current();
    long wake = System.nanoTime() + 10_000_000_000L; // ten seconds of sleep later
    WatchClock.tick(wake);
    assertEquals(0, WatchClock.elapsedSince(read, wake));
    assertEquals(300_000, WatchClock.elapsedSince(read, wake + 300_000));
  }

  @Test
  void aForgottenTickIsBoundedByTheOldestKept() {
    long read = WatchClock.current();
    long t = System.nanoTime();
    for (int i = 1; i <= 200; i++) {
      WatchClock.tick(t + i * 1_000L);
    }
    long now = t + 1_000_000;
    long elapsed = WatchClock.elapsedSince(read, now);
    // Its true bound is t + 1 µs; the oldest kept tick is later, so the answer is less, never more.
    assertTrue(elapsed <= now - (t + 1_000), "elapsed " + elapsed);
    assertTrue(elapsed >= now - (t + 200_000), "elapsed " + elapsed);
  }

  @Test
  void aStallIsNoTimeInApplicationCode() {
    // A reader entered long before a stall of the whole process (the watchdog woke late): from the
    // tick after the stall on, its time counts from that tick, however old its own.
    long t = System.nanoTime();
    WatchClock.tick(t);
    long read = WatchClock.current();
    WatchClock.tick(t + 100_000);
    assertEquals(900_000, WatchClock.elapsedSince(read, t + 1_000_000));
    long afterStall = t + 30_000_000; // a 30 ms collection later
    WatchClock.tickAfterStall(afterStall);
    assertEquals(0, WatchClock.elapsedSince(read, afterStall));
    assertEquals(200_000, WatchClock.elapsedSince(read, afterStall + 200_000));
    // A reader of the stall's own tick is counted from the next tick, as always.
    long readAtStall = WatchClock.current();
    assertEquals(0, WatchClock.elapsedSince(readAtStall, afterStall + 200_000));
    WatchClock.tick(afterStall + 300_000);
    assertEquals(100_000, WatchClock.elapsedSince(readAtStall, afterStall + 400_000));
  }
}
