package dev.spoke.internal;

/**
 * How many processors this JVM may use, and what follows for a thread that waits for another.
 *
 * <p>With one processor (a container limited to one CPU, a process pinned to one core), a thread that
 * spins for another's signal only delays it: pinned, the thread it waits for needs the very processor
 * the spinner holds, and runs when the spinner's time slice ends or it yields; under a CPU quota, the
 * spinning spends the quota that thread needs. So every wait in Spoke that would spin parks at once
 * there, or yields where it waits for a few instructions of another thread, as {@code
 * java.util.concurrent}'s waits do on a uniprocessor.
 *
 * <p>Read once, when the class loads: {@link Runtime#availableProcessors()} then reflects the process's
 * affinity, its container's CPU quota, or {@code -XX:ActiveProcessorCount}.
 */
public final class Processors {

  /** The processors this JVM may use, as it started. */
  public static final int AVAILABLE = Runtime.getRuntime().availableProcessors();

  /** True if a waiting thread may spin: another processor can run the thread it waits for meanwhile. */
  public static final boolean SPINNING_HELPS = AVAILABLE > 1;

  /**
   * How long a thread that waits for work (a blocking caller, an idle pool worker) spins before it
   * parks: long enough to catch a reply or the next task of steady traffic, which come within a few µs
   * here, without burning a core on a long wait; none where one processor runs everything.
   */
  public static final long WAIT_SPIN_NANOS = SPINNING_HELPS ? 50_000 : 0;

  private Processors() {}

  /**
   * One step of a wait for another thread that is a few instructions from done (a producer between
   * two stores): a spin hint where another processor runs that thread, else a yield, which lets it run.
   */
  public static void waitForOther() {
    if (SPINNING_HELPS) {
      Thread.onSpinWait();
    } else {
      Thread.yield();
    }
  }
}
