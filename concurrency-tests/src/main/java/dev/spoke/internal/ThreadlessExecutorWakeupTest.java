package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@link ThreadlessExecutor}, a task arriving from another thread while the owner waits in {@link
 * ThreadlessExecutor#waitAndDrain}: the owner spins, then announces that it parks, re-checks its queue
 * and parks; {@link ThreadlessExecutor#execute} queues the task and unparks the owner only if it
 * announced parking.
 *
 * <p>Property: no lost wake-up. Whenever the task arrives — while the owner spins, as it stops
 * spinning, between its announcement and its re-check, or once it sleeps — the owner runs it promptly,
 * not when its deadline ({@link #DEADLINE_SECONDS}) ends its sleep.
 *
 * <p>Where the task lands: a wake-up can only be lost as the owner goes from spinning to sleeping, and
 * it spins for tens of microseconds first, so a task submitted at once would almost always be found by
 * the spin. The owner's spinning is visible through the receiver hook it calls on every spin ({@link
 * ThreadlessExecutor#receiveWith}): from it the test measures how long owners spin before they park,
 * and the submitter submits within a couple of microseconds of the expected end of this owner's spin,
 * randomly before or after it.
 *
 * <p>Outcomes: (the owner ran the task, it returned only at or after its deadline, the task was
 * submitted at least {@link #MARGIN_SECONDS} s before that deadline), each 1 or 0. Submitted in time,
 * the task must have run before the deadline: a task run only at the deadline was queued while the
 * owner slept through it, a lost wake-up. A submitter itself held up for seconds (a machine starved of
 * CPU) proves nothing either way: reported, not graded. A task not run at all is lost.
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "woken (or never asleep), the task run before the deadline")
@Outcome(id = "1, 1, 1", expect = FORBIDDEN, desc = "a lost wake-up: the task waited for the owner's deadline")
@Outcome(id = ".*, 0", expect = ACCEPTABLE_INTERESTING, desc = "the submitter itself was held up for seconds")
@Outcome(expect = FORBIDDEN, desc = "the task was not run")
@State
public class ThreadlessExecutorWakeupTest {

  /** How long the owner waits; a lost wake-up costs this much. */
  static final long DEADLINE_SECONDS = 10;
  /** A task submitted later than this before the deadline does not count. */
  static final long MARGIN_SECONDS = 5;

  private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
  private static final long MARGIN_NANOS = TimeUnit.SECONDS.toNanos(MARGIN_SECONDS);
  /** How far from the expected end of the spin the task lands, either way. */
  private static final long SPREAD_NANOS = 2_000;
  /** A spin measured longer than this was disturbed (the owner descheduled): not learnt from. */
  private static final long MAX_PLAUSIBLE_SPIN_NANOS = 1_000_000;

  /** How long owners spin before they park, as measured so far; a first guess until then. */
  private static volatile long spinNanos = 50_000;

  private volatile ThreadlessExecutor executor;
  private volatile long waitStart;
  private volatile long lastSpin;
  private volatile long submittedAt;
  private volatile boolean ran;

  @Actor
  public void owner(III_Result r) {
    ThreadlessExecutor e = new ThreadlessExecutor();
    e.receiveWith(this::spun);
    long start = System.nanoTime();
    long deadline = start + DEADLINE_NANOS;
    waitStart = start;
    executor = e;
    boolean drained;
    try {
      drained = e.waitAndDrain(deadline);
    } catch (InterruptedException unexpected) {
      drained = false;
    }
    r.r1 = drained && ran ? 1 : 0;
    r.r2 = System.nanoTime() - deadline >= 0 ? 1 : 0;
    r.r3 = submittedAt != 0 && deadline - submittedAt >= MARGIN_NANOS ? 1 : 0;
    long last = lastSpin;
    if (last != 0 && submittedAt - last > 0 && last - start < MAX_PLAUSIBLE_SPIN_NANOS) {
      // The task came after the spin ended, so this spin ran its full length: learn from it.
      spinNanos = (spinNanos * 7 + (last - start)) / 8;
    }
  }

  /** The owner's receiver hook: called on every spin, it delivers nothing and notes the time. */
  private int spun() {
    lastSpin = System.nanoTime();
    return 0;
  }

  @Actor
  public void submitter() {
    long giveUp = System.nanoTime() + DEADLINE_NANOS;
    ThreadlessExecutor e;
    while ((e = executor) == null && System.nanoTime() - giveUp < 0) {
      Thread.onSpinWait();
    }
    if (e == null) {
      return; // the owner never started: reported as a task not run
    }
    // Not waiting for the owner's first spin: a descheduled owner may skip spinning altogether.
    long at = waitStart + spinNanos + ThreadLocalRandom.current().nextLong(-SPREAD_NANOS, SPREAD_NANOS);
    while (System.nanoTime() - at < 0) {
      Thread.onSpinWait();
    }
    submittedAt = System.nanoTime();
    e.execute(() -> ran = true);
  }
}
