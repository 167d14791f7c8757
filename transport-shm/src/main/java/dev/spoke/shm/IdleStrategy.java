package dev.spoke.shm;

/**
 * How a thread that waits for frames spends the wait. Every strategy parks eventually except {@link
 * #BUSY_SPIN}; a parked consumer is woken by the producer's doorbell, which costs a system call on both
 * sides (~50 µs end to end on the machines Spoke targets), while a spinning one answers in ~0.1 µs.
 */
public enum IdleStrategy {
  /** Never parks: lowest latency, one core per waiting thread at 100%. For benchmarks and dedicated machines. */
  BUSY_SPIN(Long.MAX_VALUE, Long.MAX_VALUE),
  /**
   * The default: spins for an adaptive window of up to 50 µs (longer while spinning pays off, shorter
   * while it does not), then parks. Traffic flowing keeps the window open; an idle hub parks at once.
   */
  BALANCED(2_000, 50_000),
  /** Spins only briefly (2 µs) before it parks: least CPU, for hubs that are idle most of the time. */
  LOW_CPU(0, 2_000);

  private final long minSpinNanos;
  private final long maxSpinNanos;

  IdleStrategy(long minSpinNanos, long maxSpinNanos) {
    this.minSpinNanos = minSpinNanos;
    this.maxSpinNanos = maxSpinNanos;
  }

  long minSpinNanos() {
    return minSpinNanos;
  }

  long maxSpinNanos() {
    return maxSpinNanos;
  }

  boolean parks() {
    return this != BUSY_SPIN;
  }
}
