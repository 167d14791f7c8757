package dev.spoke.shm;

/**
 * The adaptive spin window of a receive loop: how long to keep polling after the last frame before
 * parking. It doubles (up to the strategy's maximum) each time work turns up while spinning, because
 * spinning then paid off; it halves (down to the minimum) each time the loop had to park anyway,
 * because spinning then only burnt a core. On 2 vCPUs that matters: spinners compete with the
 * application for the same cores.
 *
 * <p>Not thread-safe: one per receive thread.
 */
final class SpinWindow {
  private final long min;
  private final long max;
  private long window;
  private long idleSince = -1;
  private int idleRounds;

  SpinWindow(IdleStrategy strategy) {
    this.min = strategy.minSpinNanos();
    this.max = strategy.maxSpinNanos();
    this.window = max == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(min, max / 2);
  }

  /** Work was found; if it came while spinning, spinning paid off. */
  void worked() {
    if (idleSince >= 0 && window != Long.MAX_VALUE) {
      window = Math.min(max, Math.max(window * 2, 1_000));
    }
    idleSince = -1;
  }

  /** Nothing to do: true to keep spinning, false to park now. */
  boolean keepSpinning() {
    // NOTE: the clock is read on every 8th idle round only: a read costs as much as a look at an idle
    // ring, and the window is far longer than 8 rounds.
    if ((++idleRounds & 7) != 0 && idleSince >= 0) {
      return true;
    }
    long now = System.nanoTime();
    if (idleSince < 0) {
      idleSince = now;
    }
    return now - idleSince < window;
  }

  /** The loop parked: spin less next time. */
  void parked() {
    if (window != Long.MAX_VALUE) {
      window = Math.max(min, window / 2);
    }
    idleSince = -1;
  }

  long windowNanos() {
    return window;
  }
}
