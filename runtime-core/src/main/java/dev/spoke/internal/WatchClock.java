package dev.spoke.internal;

import java.util.Arrays;

/**
 * The coarse clock by which watchdogs judge how long a delivering thread has run application code
 * ({@link InboundDelivery.Delivering}): a process-wide tick that only watchdogs advance, each time they
 * look, and that a thread entering application code merely reads.
 *
 * <p>Why not {@link System#nanoTime()}: entering application code is on the path of every call run
 * inline, where a clock read costs as much as the rest of the bookkeeping, while a watchdog needs the
 * time only when it looks. A thread that read tick {@code e} entered no later than the watchdog
 * published tick {@code e + 1}; so a watchdog that keeps the times of recent ticks can bound the time
 * spent in application code from below, which is all a take-over needs (it must never come early; it
 * may come up to two looks late).
 *
 * <p>While no watchdog looks (its loop sleeps), the tick stands still, and a thread that enters then
 * reads an old tick: its bound is the time of the next tick, so a watchdog waking from a long sleep
 * never takes over a thread that has just entered.
 *
 * <p>Thread-safe. {@link #current} is one volatile read; the rest is under a lock, taken only by
 * watchdogs, a few thousand times a second at most.
 */
public final class WatchClock {

  /** How many recent ticks keep their times; an older tick's bound is the oldest time kept. */
  private static final int KEPT = 64;

  private static final Object LOCK = new Object();
  /** The latest tick; starts at 1, as 0 means "not in application code". */
  private static volatile long current = 1;
  /** {@code times[(int) (e % KEPT)]}: System.nanoTime() when tick e was published, for the last KEPT ticks. */
  private static final long[] TIMES = new long[KEPT];

  static {
    TIMES[1] = System.nanoTime();
  }

  private WatchClock() {}

  /** The latest tick, for a thread entering application code. */
  public static long current() {
    return current;
  }

  /** Publishes a new tick at {@code now} (a {@link System#nanoTime()} value); watchdogs only. */
  public static void tick(long now) {
    synchronized (LOCK) {
      long next = current + 1;
      TIMES[(int) (next % KEPT)] = now;
      current = next;
    }
  }

  /**
   * Publishes a new tick at {@code now}, after a watchdog found that the process had stood still since
   * its last look (a collection stopped every thread), or that it could not look on time itself. A
   * thread watched was most likely held up just the same, so no time before {@code now} counts as time
   * in application code: every earlier tick is bounded by {@code now} from here on. Watchdogs only.
   */
  public static void tickAfterStall(long now) {
    synchronized (LOCK) {
      Arrays.fill(TIMES, now);
      current = current + 1;
    }
  }

  /**
   * How long ago, at least, a thread that read {@code tick} from {@link #current} did so, at {@code now}
   * (a {@link System#nanoTime()} value); 0 if it may have read it just now.
   */
  public static long elapsedSince(long tick, long now) {
    long readNoLaterThan;
    synchronized (LOCK) {
      long latest = current;
      if (tick >= latest) {
        return 0; // no tick after it yet: it may have been read a moment ago
      }
      long next = tick + 1;
      if (latest - next >= KEPT) {
        next = latest - KEPT + 1; // forgotten: the oldest kept tick came later still
      }
      readNoLaterThan = TIMES[(int) (next % KEPT)];
    }
    return Math.max(0, now - readNoLaterThan);
  }
}
