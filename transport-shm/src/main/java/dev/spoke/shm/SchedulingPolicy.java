package dev.spoke.shm;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux scheduling policy of the calling thread ({@code sched_setscheduler(2)} through JNA direct
 * mapping), for a receive loop's standby: a thread that wakes up to a few thousand times a second to
 * look for stuck threads, while the loops it watches spin.
 *
 * <p>Why: on a machine with as many busy threads as cores (two loops spinning on two vCPUs), a waking
 * thread of the normal policy preempts a spinner at once, and the standby's 2,000 looks a second did so
 * in each busy process: measured on such a machine, it cost a quarter of the rate at one call in flight
 * and doubled the 16 B p99. A thread of {@code SCHED_BATCH} does not preempt on waking: it runs on a free
 * core at once (so a leader that blocks, freeing its core, is still taken over on time), and otherwise
 * when the running thread's slice ends or it parks. Batch and normal are both policies of the fair
 * scheduler, so an unprivileged thread can switch back and forth (unlike a raised nice value): the
 * standby returns to normal before it leads.
 *
 * <p>Where the call is unavailable (another OS, or it fails) it does nothing. Thread-safe; acts on the
 * calling thread only.
 */
final class SchedulingPolicy {

  private static final Logger log = LoggerFactory.getLogger(SchedulingPolicy.class);

  private static final int SCHED_OTHER = 0;
  private static final int SCHED_BATCH = 3;

  /** True if the policy can be set here. */
  static final boolean AVAILABLE;

  static {
    boolean ok = false;
    if (System.getProperty("os.name", "").toLowerCase().contains("linux")) {
      try {
        Native.register(SchedulingPolicy.class, NativeLibrary.getInstance("c"));
        ok = true;
      } catch (Throwable t) {
        log.debug("sched_setscheduler unavailable ({}); standbys keep the normal policy", t.toString());
      }
    }
    AVAILABLE = ok;
  }

  private SchedulingPolicy() {}

  private static native int sched_setscheduler(int pid, int policy, int[] param);

  private static native int sched_getscheduler(int pid);

  /**
   * Sets the calling thread's policy: {@code SCHED_BATCH} when {@code batch}, else the normal one.
   * Returns false if it could not (it is then unchanged).
   */
  static boolean setBatch(boolean batch) {
    if (!AVAILABLE) {
      return false;
    }
    try {
      // pid 0: the calling thread (policies are per thread on Linux); a static priority of 0.
      return sched_setscheduler(0, batch ? SCHED_BATCH : SCHED_OTHER, new int[] {0}) == 0;
    } catch (Throwable t) {
      log.debug("sched_setscheduler failed: {}", t.toString());
      return false;
    }
  }

  /** True if the calling thread runs with {@code SCHED_BATCH}. */
  static boolean isBatch() {
    return AVAILABLE && sched_getscheduler(0) == SCHED_BATCH;
  }
}
