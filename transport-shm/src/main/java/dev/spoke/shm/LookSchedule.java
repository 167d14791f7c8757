package dev.spoke.shm;

/**
 * When a receive loop's standby looks next ({@link ReceiveLoop}): as soon as the first thread it
 * watches could be due, and otherwise, after a run of quiet looks, less and less often, up to {@link
 * #MAX_STRETCH} doublings of the hand-off limit.
 *
 * <p>A look is quiet when no thread it watches has stayed in application code since the look before
 * (everyone it found there entered since): nothing can be due before the limit has passed again. A busy
 * loop whose handlers return at once makes every look quiet, and each look is a wake-up that, on a
 * machine with as many spinning loops as cores, takes a core from one of them for a moment: at 2,000
 * looks a second per process, a seventh of the calls at 64 in flight on two cores. So after {@link
 * #QUIET_LOOKS_PER_STRETCH} quiet looks in a row the interval doubles, up to four times the limit, and
 * the first look that finds a thread that stayed brings it back to the limit (or sooner, if that thread
 * is due sooner). The price: a thread that gets stuck after a long quiet run is taken over later, after
 * at most twice the longest interval (it is first seen having just entered, then due at the next look)
 * rather than twice the limit; the ones after it, within twice the limit again.
 *
 * <p>The standby's own; not thread-safe.
 */
final class LookSchedule {

  /** Quiet looks in a row before the interval doubles. */
  static final int QUIET_LOOKS_PER_STRETCH = 32;
  /** The most doublings of the limit between two quiet looks: at most four limits apart. */
  static final int MAX_STRETCH = 2;

  private final long limitNanos;
  private int quietLooks;
  private int stretch;

  /** A schedule for a hand-off limit of {@code limitNanos}, starting at its shortest interval. */
  LookSchedule(long limitNanos) {
    this.limitNanos = limitNanos;
  }

  /**
   * After a look: {@code dueIn} is how long until the first thread watched could be due (the limit if
   * it was quiet, less otherwise). Returns how long to wait before the next look.
   */
  long afterLook(long dueIn) {
    if (dueIn < limitNanos) {
      quietLooks = 0;
      stretch = 0;
      return dueIn;
    }
    if (++quietLooks >= QUIET_LOOKS_PER_STRETCH && stretch < MAX_STRETCH) {
      stretch++;
      quietLooks = 0;
    }
    return limitNanos << stretch;
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
