package dev.spoke.host;

import java.time.Duration;
import java.util.Objects;

/**
 * What the host does when a plugin stops without being asked to: nothing, or launch it again after a
 * back-off, without limit or up to a maximum number of restarts over the plugin's life. The default
 * of every {@link PluginSpec} is {@link #onFailure()}: restart every time.
 *
 * <p>The back-off doubles with each failure in a row, up to a maximum (30 s unless set), and starts over
 * once a process has run for a while (1 minute unless set): a plugin that crashes once a day restarts
 * as quickly every time, one that dies at once keeps its host from spending itself on relaunching it.
 *
 * <p>Immutable.
 */
public final class RestartPolicy {

  private static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
  /** The first wait of {@link #onFailure()}. */
  private static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
  /** {@link #maxRestarts()} of a policy without limit. */
  private static final int UNLIMITED = Integer.MAX_VALUE;
  /** The longest wait or period a policy takes: a day, so that every computation stays in range. */
  private static final Duration LONGEST = Duration.ofDays(1);
  private static final Duration DEFAULT_STABLE_AFTER = Duration.ofMinutes(1);
  private static final RestartPolicy NEVER = new RestartPolicy(0, Duration.ZERO, Duration.ZERO, DEFAULT_STABLE_AFTER);
  private static final RestartPolicy ON_FAILURE =
      new RestartPolicy(UNLIMITED, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_STABLE_AFTER);

  private final int maxRestarts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration stableAfter;

  private RestartPolicy(int maxRestarts, Duration initialBackoff, Duration maxBackoff, Duration stableAfter) {
    this.maxRestarts = maxRestarts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.stableAfter = stableAfter;
  }

  /** A plugin that fails stays down: FAILED, its calls failing fast with UNAVAILABLE. */
  public static RestartPolicy never() {
    return NEVER;
  }

  /**
   * Restarts a failed plugin every time, without limit: 100 ms after its first failure, twice as long
   * after each further failure in a row, at most 30 s; after a process that ran for a minute, the wait
   * starts again from 100 ms. A plugin that crashes now and then comes back at once; one that dies as it
   * starts is relaunched twice a minute at most. The default of every {@link PluginSpec}.
   */
  public static RestartPolicy onFailure() {
    return ON_FAILURE;
  }

  /**
   * Restarts a failed plugin up to {@code maxRestarts} times over its life, waiting {@code
   * initialBackoff} before the first restart and twice as long after each further failure in a row, at
   * most 30 s; after a process that ran for a minute, the wait starts again from {@code initialBackoff}.
   */
  public static RestartPolicy onFailure(int maxRestarts, Duration initialBackoff) {
    if (maxRestarts < 0) {
      throw new IllegalArgumentException("maxRestarts must not be negative, got " + maxRestarts);
    }
    requirePositiveOrZero(initialBackoff, "initialBackoff");
    return new RestartPolicy(maxRestarts, initialBackoff, DEFAULT_MAX_BACKOFF, DEFAULT_STABLE_AFTER);
  }

  /** This policy with the back-off capped at {@code max} instead of 30 s. */
  public RestartPolicy withMaxBackoff(Duration max) {
    requirePositiveOrZero(max, "max");
    return new RestartPolicy(maxRestarts, initialBackoff, max, stableAfter);
  }

  /**
   * This policy with the back-off starting over after a process that ran (ready) for {@code period},
   * instead of 1 minute.
   */
  public RestartPolicy withStableAfter(Duration period) {
    requirePositiveOrZero(period, "period");
    return new RestartPolicy(maxRestarts, initialBackoff, maxBackoff, period);
  }

  private static void requirePositiveOrZero(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.compareTo(LONGEST) > 0) {
      throw new IllegalArgumentException(name + " must be between 0 and " + LONGEST + ", got " + d);
    }
  }

  /** The most restarts over the plugin's life: 0 for {@link #never()}, {@link Integer#MAX_VALUE} without limit. */
  public int maxRestarts() {
    return maxRestarts;
  }

  /** The wait before the first restart after a failure. */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** The longest wait between restarts. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** How long a process must have run for the back-off to start over. */
  public Duration stableAfter() {
    return stableAfter;
  }

  /** The wait before a restart after {@code failuresInARow} failures in a row (1 for the first). */
  public Duration backoff(int failuresInARow) {
    long max = maxBackoff.toMillis();
    long millis = Math.min(initialBackoff.toMillis(), max);
    for (int i = 1; i < failuresInARow && millis > 0 && millis < max; i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, max));
  }

  /** "never", or "on failure, without limit, back-off 100 ms to 30 s, starting over after 1 min of running". */
  @Override
  public String toString() {
    return maxRestarts == 0 ? "never" : "on failure, " + (maxRestarts == UNLIMITED ? "without limit" : "up to "
        + maxRestarts + " times") + ", back-off " + PluginSpec.human(initialBackoff) + " to "
        + PluginSpec.human(maxBackoff) + ", starting over after " + PluginSpec.human(stableAfter) + " of running";
  }
}
