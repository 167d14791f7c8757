package dev.spoke.shm;

/**
 * When a receive loop's standby looks next ({@link ReceiveLoop}): as soon as the first thread it
 * watches could be due, and otherwise, after a run of quiet looks, less and less often, up to {@link
 * #MAX_STRETCH} doublings of the hand-off limit.
 *
 * <p>A look is quiet when no thread it watches is in the same stay in application code as at the look
 * before (judged by the watch clock's tick each entered at, so a look after a collection, which counts
 * no time in application code, is not quiet for a thread that stayed). Nothing found at a quiet look can
 * be due before the limit has passed again. A busy loop whose handlers return at once makes every look
 * quiet, and each look is a wake-up that, on a machine with as many spinning loops as cores, takes a
 * core from one of them for a moment: at 2,000 looks a second per process, measured on a two-vCPU
 * machine, up to a seventh of the calls at 64 in flight. So after {@link #QUIET_LOOKS_PER_STRETCH} quiet
 * looks in a row the interval doubles, up to four limits (reached after 96 quiet looks, about 50 ms at
 * the default limit), and a look that is not quiet brings it back to the due time. The price: a thread
 * that gets stuck after such a quiet run is seen at the next look as just entered and is due at the one
 * after, so it is taken over within twice the longest interval (eight limits) rather than two limits;
 * the standby then watches at the limit again.
 *
 * <p>The standby's own; {@link #quietInterval} is for any thread.
 */
final class LookSchedule {

  /** Quiet looks in a row before the interval doubles. */
  static final int QUIET_LOOKS_PER_STRETCH = 32;
  /** The most doublings of the limit between two quiet looks: at most four limits apart. */
  static final int MAX_STRETCH = 2;

  private final long limitNanos;
  private int quietLooks;
  /** Volatile for {@link #quietInterval} only: written once per change. */
  private volatile int stretch;

  /** A schedule for a hand-off limit of {@code limitNanos}, starting at its shortest interval. */
  LookSchedule(long limitNanos) {
    this.limitNanos = limitNanos;
  }

  /**
   * After a look: {@code dueIn} is how long until the first thread watched could be due (at most the
   * limit); {@code quiet}, whether no thread watched was in the same stay in application code as at the
   * look before. Returns how long to wait before the next look.
   */
  long afterLook(long dueIn, boolean quiet) {
    if (!quiet) {
      quietLooks = 0;
      if (stretch != 0) {
        stretch = 0;
      }
      return dueIn;
    }
    if (++quietLooks >= QUIET_LOOKS_PER_STRETCH && stretch < MAX_STRETCH) {
      stretch++;
      quietLooks = 0;
    }
    return dueIn < limitNanos ? dueIn : Math.max(dueIn, limitNanos << stretch);
  }

  /** The loop slept (its leader parked): the next run of traffic is watched from the shortest interval. */
  void reset() {
    quietLooks = 0;
    stretch = 0;
  }

  /** The interval between two quiet looks now, for tests and diagnostics. */
  long quietInterval() {
    return limitNanos << stretch;
  }
}
