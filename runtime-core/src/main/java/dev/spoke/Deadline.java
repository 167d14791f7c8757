package dev.spoke;

import java.util.concurrent.TimeUnit;

/**
 * An absolute point in time by which a call must finish, on the {@link System#nanoTime()} clock.
 * Deadlines travel between processes as the time remaining, so the clocks of the two sides never need
 * to agree.
 *
 * <p>Immutable and thread-safe.
 */
public final class Deadline implements Comparable<Deadline> {

  private final long nanoTime;

  private Deadline(long nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** A deadline {@code duration} from now. A non-positive duration gives an expired deadline. */
  public static Deadline after(long duration, TimeUnit unit) {
    return new Deadline(System.nanoTime() + saturatedNanos(duration, unit));
  }

  /** The deadline at the given {@link System#nanoTime()} value. */
  public static Deadline atNanoTime(long nanoTime) {
    return new Deadline(nanoTime);
  }

  /** The {@link System#nanoTime()} value of this deadline. */
  public long nanoTime() {
    return nanoTime;
  }

  /** True once the deadline has passed. */
  public boolean isExpired() {
    return timeRemaining(TimeUnit.NANOSECONDS) <= 0;
  }

  /** Time left, in {@code unit}; negative once expired. */
  public long timeRemaining(TimeUnit unit) {
    return unit.convert(nanoTime - System.nanoTime(), TimeUnit.NANOSECONDS);
  }

  /** The earlier of this and {@code other}; {@code other} may be null. */
  public Deadline minimum(Deadline other) {
    return other == null || compareTo(other) <= 0 ? this : other;
  }

  /** True if this deadline is before {@code other}. */
  public boolean isBefore(Deadline other) {
    return compareTo(other) < 0;
  }

  @Override
  public int compareTo(Deadline o) {
    // Subtraction, not comparison, because nanoTime values may wrap.
    long diff = nanoTime - o.nanoTime;
    return diff < 0 ? -1 : (diff > 0 ? 1 : 0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Deadline && ((Deadline) o).nanoTime == nanoTime;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(nanoTime);
  }

  @Override
  public String toString() {
    long remaining = nanoTime - System.nanoTime();
    return String.format("%s%.3fs from now", remaining < 0 ? "-" : "", Math.abs(remaining) / 1e9);
  }

  static long saturatedNanos(long duration, TimeUnit unit) {
    long nanos = unit.toNanos(duration); // TimeUnit saturates at Long.MIN/MAX_VALUE
    // Keep far-future deadlines far from overflow when added to nanoTime.
    return Math.min(nanos, Long.MAX_VALUE / 4);
  }
}
