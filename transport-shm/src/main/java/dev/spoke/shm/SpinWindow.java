package dev.spoke.shm;

/**
 * The adaptive spin window of a receive loop: how long to keep polling after the last frame before
 * parking. A parked loop costs a doorbell's system call on both sides and a wake-up of tens of µs on the
 * machines Spoke targets; a spinning one answers at once but burns a core, which on 2 vCPUs the
 * application needs too. So the window follows the gaps between frames:
 *
 * <ul>
 *   <li>A frame that came after a gap the loop spun through, or that rang it awake after a gap it could
 *       have spun through (up to the strategy's maximum), sets the window to at least one and a half
 *       times that gap: steady traffic with pauses of 10 or 100 µs keeps the loop spinning from its
 *       first pause on, not after thousands of calls.
 *   <li>Frames found while spinning double the window up to 50 µs (or the strategy's maximum, if
 *       lower): a loop whose traffic flows rides out its peer's short stalls without parking.
 *   <li>A park that ran out its time, a gap too long to spin through, or a ring after which the loop
 *       found nothing to do (a blocking caller took the frame itself) halves the window (down to the
 *       minimum): spinning then only burnt a core.
 * </ul>
 *
 * <p>The clock is read once every eight idle rounds (a read costs as much as a look at an idle ring),
 * so gaps shorter than eight rounds teach it nothing: the minimum window covers them.
 *
 * <p>Not thread-safe: one per receive loop, handed on with the leader's role.
 */
final class SpinWindow {
  /** The window a loop starts with, if its strategy allows that much. */
  private static final long INITIAL_NANOS = 25_000;
  /** The window that frames found while spinning open it to, at least (doubling each time). */
  private static final long FLOWING_NANOS = 50_000;
  /**
   * Idle spinning between yields of the core by a loop that never parks: counted from the start of an
   * idle stretch or from the clock read before the last yield, and checked on the rounds that read the
   * clock. Every 128 idle rounds (a few µs) put a system call into most gaps between two 64 KiB calls,
   * and a request that came during it waited: busy-spin's 64 KiB p50 was 10% above BALANCED's, its p99
   * up to 1.7 times. Time spent in a yield counts: a yield that let other threads run for 20 µs or more
   * is followed by another at the next clock read, so a loop that shares its core with busy threads
   * gives it up more often than one that is alone. (Counting from the yield's return instead raised
   * the 16 B p99 in four alternating rounds of four.)
   */
  private static final long YIELD_INTERVAL_NANOS = 20_000;
  /** Idle rounds between clock reads; a power of two. */
  private static final int ROUNDS_PER_CLOCK_READ = 8;

  private final long min;
  private final long max;
  /** System::nanoTime, or a test's clock. */
  private final java.util.function.LongSupplier clock;
  private long window;
  /** When the current idle stretch began, or -1 while working. */
  private long idleSince = -1;
  private int idleRounds;
  /** After a park that something rang: when the idle stretch before it began; else -1. */
  private long rungAfter = -1;
  /** The clock at the last read of an idle round. */
  private long lastRead;
  /** When the idle stretch began or, if later, the clock read before the loop's last yield. */
  private long lastYield;

  SpinWindow(IdleStrategy strategy) {
    this(strategy, System::nanoTime);
  }

  /** With a clock of the test's own. */
  SpinWindow(IdleStrategy strategy, java.util.function.LongSupplier clock) {
    this(strategy.minSpinNanos(), strategy.maxSpinNanos(), clock);
  }

  private SpinWindow(long min, long max, java.util.function.LongSupplier clock) {
    this.clock = clock;
    this.min = min;
    this.max = max;
    this.window = max == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(min, Math.min(max / 2, INITIAL_NANOS));
  }

  /**
   * A window that stays shut: the loop parks at its first idle round. For a JVM that may use one
   * processor only, where whatever the loop waits for needs the processor it would spin on.
   */
  static SpinWindow shut() {
    return new SpinWindow(0, 0, System::nanoTime);
  }

  /** Work was found; if it came after a gap spun through, or rang the loop awake, learn from the gap. */
  void worked() {
    if (window != Long.MAX_VALUE) {
      if (rungAfter >= 0) {
        long gap = clock.getAsLong() - rungAfter;
        if (gap <= max / 3 * 2) {
          cover(gap); // spinning that long would have answered at once
        } else {
          narrow();
        }
      } else if (idleSince >= 0) {
        // Found while spinning: spinning pays off. Traffic that flows keeps a window of FLOWING_NANOS
        // at least, against a peer's short stalls (a preempted thread, a pause of its JIT or GC).
        window = Math.max(window, Math.min(max, Math.min(window * 2, FLOWING_NANOS)));
        if (idleRounds >= ROUNDS_PER_CLOCK_READ) {
          cover(clock.getAsLong() - idleSince);
        }
      }
    }
    rungAfter = -1;
    idleSince = -1;
    idleRounds = 0;
  }

  /** Nothing to do: true to keep spinning, false to park now. */
  boolean keepSpinning() {
    if (rungAfter >= 0) {
      // Rung awake, but nothing came for this loop (a caller took it): no reason to spin longer.
      narrow();
      rungAfter = -1;
    }
    if ((++idleRounds & (ROUNDS_PER_CLOCK_READ - 1)) != 0 && idleSince >= 0) {
      return true;
    }
    long now = clock.getAsLong();
    lastRead = now;
    if (idleSince < 0) {
      idleSince = now;
      lastYield = now;
    }
    return now - idleSince < window;
  }

  /**
   * While spinning, after {@link #keepSpinning}: true once every {@link #YIELD_INTERVAL_NANOS} of idle
   * spinning by a loop that never parks (BUSY_SPIN), when it yields its core. A loop that parks gives
   * its core up at the end of its window; yielding within it cost BALANCED a fifth of its
   * one-in-flight rate on 2 vCPUs.
   */
  boolean yieldNow() {
    if (window != Long.MAX_VALUE || (idleRounds & (ROUNDS_PER_CLOCK_READ - 1)) != 0
        || lastRead - lastYield < YIELD_INTERVAL_NANOS) {
      return false;
    }
    lastYield = lastRead;
    return true;
  }

  /**
   * The loop parked and woke: {@code rung} if something rang it for itself, false if its time ran out
   * (or the ring was for a blocking caller polling the ring). A park that ran out halves the window;
   * after a ring, the next round tells (see {@link #worked}).
   */
  void parked(boolean rung) {
    if (rung && idleSince >= 0) {
      rungAfter = idleSince;
    } else if (window != Long.MAX_VALUE) {
      narrow();
    }
    idleSince = -1;
    idleRounds = 0;
  }

  /** Halves the window, down to the minimum: spinning did not pay off. */
  private void narrow() {
    window = Math.max(min, window / 2);
  }

  /** Widens the window to one and a half times {@code gap}, within the maximum; never narrows it. */
  private void cover(long gap) {
    window = Math.min(max, Math.max(window, gap + gap / 2));
  }

  long windowNanos() {
    return window;
  }
}
