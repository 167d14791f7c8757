package dev.spoke.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets a repeated log line through at most once per interval and counts the ones it held back, so a
 * fault that repeats every few microseconds (a loop failing on every round, an attacker rewriting the
 * hub's header) costs a line a second or a minute rather than flooding the log.
 *
 * <p>Thread-safe.
 */
public final class LogThrottle {

  private final long intervalNanos;
  private final AtomicLong lastLogged;
  private final AtomicLong heldBack = new AtomicLong();

  /** Lets a line through at most once per {@code intervalNanos}. */
  public LogThrottle(long intervalNanos) {
    this.intervalNanos = intervalNanos;
    this.lastLogged = new AtomicLong(System.nanoTime() - intervalNanos);
  }

  /**
   * Called for each occurrence: returns -1 if this one is not to be logged, otherwise how many were
   * held back since the last one that was (for the line to say so).
   */
  public long admit() {
    long now = System.nanoTime();
    long last = lastLogged.get();
    if (now - last >= intervalNanos && lastLogged.compareAndSet(last, now)) {
      return heldBack.getAndSet(0);
    }
    heldBack.incrementAndGet();
    return -1;
  }

  /** " (and n more since the last report)" for n held back, or "" for none. */
  public static String heldBackNote(long heldBack) {
    return heldBack > 0 ? " (and " + heldBack + " more since the last report)" : "";
  }
}
