package dev.spoke.internal;

import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether spinning waits may spin now, on a machine that has more than one processor but lends them to
 * others: another process pinned beside Spoke, a kernel thread (page reclaim), a neighbour on the same
 * host. With fewer processors free than Spoke has spinning threads, a spinner holds the processor that
 * the thread it waits for needs, until its window or time slice ends: on 2 vCPUs with one taken by
 * another process, a blocking call's p50 was 215 µs (1.6 with both free), and 27 where waits park at
 * once.
 *
 * <p>What tells it is when spinners find their work. Spinning pays where the thread a spinner waits for
 * runs on another processor at the same time: the spinner finds the work while it holds its own. Where
 * the two share a processor, the work comes only while the spinner is off it: preempted (its clock
 * jumped {@link #LATE_NANOS} or more since its last read) or after the yield it makes when its window
 * runs out, if another thread ran during that yield. Such a find is <em>late</em>. Each spinning thread
 * keeps a {@link Tally} of its finds; when three quarters of {@link Tally#FINDS} came late, it starts a
 * back-off here: every spinning wait in the JVM parks (or yields) at once, for 10 ms at first. (Late
 * finds alone would mislead: on 2 vCPUs with five threads, spinners lose their processors to others
 * many times a second while Spoke has the machine, and spinning still pays: in blocking calls, 3 finds
 * in 1,000 came 20 µs late or more. And a peer that parks makes some of this side's finds late, when
 * its wake-up lands on this side's processor: see {@link #YIELD_LATE_NANOS}.) A back-off that starts again soon after the last one ended doubles
 * it, up to 160 ms, so a steady neighbour costs some spinning every 160 ms, and a short one (page
 * reclaim's 100 ms bursts) at most 10 ms of parking once it is gone.
 *
 * <p>Thread-safe. {@link #maySpin} is a volatile read, for every spin; {@link #findsCameLate} takes a
 * lock, at most once per tally.
 */
public final class SpinBackOff {
  private static final Logger log = LoggerFactory.getLogger(SpinBackOff.class);

  /**
   * A jump of a spinner's clock between two reads that means another thread had its processor
   * meanwhile. Spinners read the clock every few µs; interrupts take less, and so do most threads woken
   * beside them here; a thread that hands a spinner work and then spins itself takes longer.
   */
  public static final long LATE_NANOS = 50_000;

  /**
   * A yield that took this long ran another thread for a while. Alone on its processor, a yield returns
   * in 1–2 µs here; a peer that parks as soon as it has handed over work (as in a back-off of its own)
   * takes 5–15 µs, and does not count: else one side's back-off would start the other's; a peer that
   * spins after it takes 25 µs or more.
   */
  public static final long YIELD_LATE_NANOS = 25_000;

  /** The first back-off. */
  static final long MIN_NANOS = 10_000_000;

  /** The longest back-off. */
  static final long MAX_NANOS = 160_000_000;

  /**
   * A back-off that starts this soon after the last one ended doubles it: the lending went on. A tally
   * of finds a quarter of a millisecond apart (as on a lent processor) takes 4 ms.
   */
  static final long AGAIN_SOON_NANOS = 40_000_000;

  private final LongSupplier clock;

  /** Spinning may resume when the clock passes this. */
  private volatile long resumeAt;

  // Guarded by this.
  private long length = MIN_NANOS;
  private long backOffs;

  /** @param clock System::nanoTime, or a test's clock */
  public SpinBackOff(LongSupplier clock) {
    this.clock = clock;
    this.resumeAt = clock.getAsLong() - 2 * MAX_NANOS; // as if the last back-off ended long ago
  }

  /** True if a wait may spin at {@code now} (System.nanoTime): no back-off is running. */
  public boolean maySpin(long now) {
    return now - resumeAt >= 0;
  }

  /** {@link #maySpin} at the clock's time. */
  public boolean maySpinNow() {
    return maySpin(clock.getAsLong());
  }

  /** A spinner's tally came out mostly late at {@code now}: starts a back-off, unless one runs. */
  public void findsCameLate(long now) {
    long first;
    long nanos;
    synchronized (this) {
      long sinceResumed = now - resumeAt;
      if (sinceResumed < 0) {
        return; // a tally begun before the back-off started
      }
      length = sinceResumed < AGAIN_SOON_NANOS ? Math.min(MAX_NANOS, length * 2) : MIN_NANOS;
      resumeAt = now + length;
      nanos = length;
      first = backOffs++;
    }
    if (first == 0) {
      log.info("spinning threads find their work only after losing their processors: other threads need this "
          + "machine's processors, so Spoke's waits park instead of spinning while that lasts (looked at again "
          + "after 10–160 ms)");
    } else if (log.isDebugEnabled()) {
      log.debug("spinning threads find their work late; waits park for {} ms", nanos / 1_000_000);
    }
  }

  /** How many back-offs have started. */
  public synchronized long backOffs() {
    return backOffs;
  }

  /**
   * One spinning thread's finds, counted: not thread-safe, each belongs to one spinner (a receive loop,
   * a pool worker) and goes with its role.
   */
  public static final class Tally {
    /** Finds per tally. */
    public static final int FINDS = 16;

    private int finds;
    private int late;

    /** A spin found its work; {@code late} as above. True if this ends a tally three quarters late. */
    public boolean found(boolean late) {
      if (late) {
        this.late++;
      }
      if (++finds < FINDS) {
        return false;
      }
      boolean mostlyLate = this.late >= FINDS * 3 / 4;
      finds = 0;
      this.late = 0;
      return mostlyLate;
    }
  }
}
