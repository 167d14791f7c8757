package dev.spoke.host;

import java.time.Duration;
import java.util.Objects;

/**
 * What the host does when a plugin stops without being asked to: nothing, or launch it again after a
 * back-off that doubles with each restart, up to a maximum number of restarts.
 *
 * <p>Immutable.
 */
public final class RestartPolicy {

  private static final RestartPolicy NEVER = new RestartPolicy(0, Duration.ZERO, Duration.ZERO);

  private final int maxRestarts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;

  private RestartPolicy(int maxRestarts, Duration initialBackoff, Duration maxBackoff) {
    this.maxRestarts = maxRestarts;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** A plugin that fails stays down. The default. */
  public static RestartPolicy never() {
    return NEVER;
  }

  /**
   * Restarts a failed plugin up to {@code maxRestarts} times over its life, waiting {@code
   * initialBackoff} before the first restart and twice as long before each next one, at most 30 s.
   */
  public static RestartPolicy onFailure(int maxRestarts, Duration initialBackoff) {
    if (maxRestarts < 0) {
      throw new IllegalArgumentException("maxRestarts must not be negative, got " + maxRestarts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    return new RestartPolicy(maxRestarts, initialBackoff, Duration.ofSeconds(30));
  }

  public int maxRestarts() {
    return maxRestarts;
  }

  /** The wait before restart number {@code restart} (1 for the first). */
  public Duration backoff(int restart) {
    long millis = initialBackoff.toMillis();
    for (int i = 1; i < restart && millis < maxBackoff.toMillis(); i++) {
      millis *= 2;
    }
    return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
  }

  @Override
  public String toString() {
    return maxRestarts == 0 ? "never" : "on failure, up to " + maxRestarts + " times, backoff from " + initialBackoff;
  }
}
