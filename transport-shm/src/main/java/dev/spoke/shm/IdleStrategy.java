package dev.spoke.shm;

/**
 * How a thread that waits for frames spends the wait. Every strategy parks eventually except {@link
 * #BUSY_SPIN}; a parked consumer is woken by the producer's doorbell, which costs a system call on both
 * sides (~50 µs end to end on the machines Spoke targets), while a spinning one answers in ~0.1 µs.
 *
 * <p>Where the JVM may use one processor only (a container limited to one CPU, a process pinned to one
 * core), every strategy acts as {@link #LOW_CPU}, without even its 2 µs of spinning: the loop parks as
 * soon as it is idle. Pinned, the thread a spinning loop waits for needs the processor the loop holds;
 * under a CPU quota, spinning spends the quota the other threads need. The loop says so once in its log.
 */
public enum IdleStrategy {
  /**
   * Never parks while frames keep coming for it: lowest latency, one core per waiting thread at 100%.
   * For benchmarks and dedicated machines. It yields its core after every 20 µs of an idle stretch, so
   * that on a machine with fewer cores than busy threads the others are not held up for a whole time
   * slice while it waits. And while blocking callers wait on its rings, taking their own responses, so
   * that it has nothing to do, it parks as {@link #BALANCED} does: a third spinning thread on two
   * cores would take a core from the caller or from the other side's loop (a 1 KiB call's p99 was 23
   * times BALANCED's). A frame that is not a waiting caller's (a request, say) then wakes it through
   * the doorbell, as under BALANCED.
   */
  BUSY_SPIN(Long.MAX_VALUE, Long.MAX_VALUE),
  /**
   * The default: spins for an adaptive window, then parks. The window follows the gaps between frames
   * (see {@code SpinWindow}): traffic whose pauses are short enough to spin through — up to about 270
   * µs — keeps it open, so each call after such a pause is answered at once; longer pauses and an idle
   * hub shrink it to 2 µs, and an idle hub parks at once.
   */
  BALANCED(2_000, 400_000),
  /**
   * Spins only briefly (2 µs) before it parks: least CPU, for hubs that are idle most of the time, and
   * for machines where other processes keep the CPUs busy (there, a spinning loop holds the CPU that the
   * thread it waits for needs; see "Machines shared with busy processes" in the README).
   */
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

  /**
   * The strategy a receive loop follows where the JVM may use {@code processors} processors: this one,
   * or {@link #LOW_CPU} where there is only one. There, a spinning loop only keeps the thread that would
   * send it the next frame (the other side's loop, a caller, a handler) off the one processor it needs.
   */
  IdleStrategy forProcessors(int processors) {
    return processors > 1 ? this : LOW_CPU;
  }
}
