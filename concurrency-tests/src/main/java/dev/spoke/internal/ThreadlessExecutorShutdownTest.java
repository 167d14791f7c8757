package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link ThreadlessExecutor#shutdown} racing {@link ThreadlessExecutor#execute} from another thread:
 * the owner shuts the executor down as the other thread submits a task. Afterwards the owner waits on
 * the executor once more with a deadline already passed — which no caller does, since the executor is
 * not used again — to see whether anything of the call survived the shutdown.
 *
 * <p>Property: a task submitted after shutdown returned is dropped and never runs, and one submitted
 * while it runs is either drained by it or dropped: "tasks still queued and any that arrive later are
 * dropped" (shutdown's contract), so nothing of the call survives it.
 *
 * <p>Outcomes: whether the submitter saw shutdown finished before it submitted (1), and whether the
 * task ran afterwards (1). Submitted after shutdown or racing it, the task must not run: the two results
 * with 0 are allowed; a task that ran is forbidden, whether it was submitted after shutdown returned
 * or raced it (execute reads the flag before shutdown sets it, shutdown drains an empty queue, execute
 * queues the task: the next wait drops it).
 */
@JCStressTest
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "submitted after shutdown returned: dropped")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "submitted as shutdown ran: drained or dropped")
@Outcome(id = "1, 1", expect = FORBIDDEN, desc = "submitted after shutdown returned, and it ran")
@Outcome(id = "0, 1", expect = FORBIDDEN, desc = "submitted as shutdown ran, it survived and ran")
@Outcome(expect = FORBIDDEN, desc = "the test's own hand-offs timed out")
@State
public class ThreadlessExecutorShutdownTest {

  private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  private volatile ThreadlessExecutor executor;
  private volatile boolean shutDown;
  private volatile boolean submitted;
  private volatile boolean ran;

  @Actor
  public void owner(II_Result r) {
    ThreadlessExecutor e = new ThreadlessExecutor();
    executor = e;
    e.shutdown();
    shutDown = true;
    long giveUp = System.nanoTime() + TIMEOUT_NANOS;
    while (!submitted) {
      if (System.nanoTime() - giveUp >= 0) {
        r.r2 = -1;
        return;
      }
      Thread.onSpinWait();
    }
    try {
      e.waitAndDrain(System.nanoTime()); // runs whatever is queued; never sleeps
    } catch (InterruptedException unexpected) {
      r.r2 = -1;
      return;
    }
    r.r2 = ran ? 1 : 0;
  }

  @Actor
  public void submitter(II_Result r) {
    long giveUp = System.nanoTime() + TIMEOUT_NANOS;
    ThreadlessExecutor e;
    while ((e = executor) == null) {
      if (System.nanoTime() - giveUp >= 0) {
        r.r1 = -1;
        return;
      }
      Thread.onSpinWait();
    }
    r.r1 = shutDown ? 1 : 0;
    e.execute(() -> ran = true);
    submitted = true;
  }
}
