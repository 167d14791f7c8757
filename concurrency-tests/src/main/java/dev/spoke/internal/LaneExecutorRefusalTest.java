package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link LaneExecutor} with one place in a shared executor that takes one task and then refuses every
 * other (it was shut down, or is full): task A holds the place; a submitter submits task B while a
 * worker starts A, which hands on what the lane holds.
 *
 * <p>Property: B is never stranded, lost, run twice, or both refused and run. Either the submitter
 * finds the place free (A has started) and, refused, hears of it, or B is held and the start of A,
 * refused in turn, runs it. The submitter adds B and then reads the count of tasks waiting; the start
 * lowers the count and then looks at what is held: one of them sees the other.
 *
 * <p>Outcomes: (the submitter was refused, times B ran, times A ran, tasks of the lane left not
 * started afterwards).
 */
@JCStressTest
@Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "A started first: B refused to its submitter, not run")
@Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "B held: run by A's start when the executor refused it")
@Outcome(expect = FORBIDDEN, desc = "B stranded, lost, run twice, or both refused and run")
@State
public class LaneExecutorRefusalTest {

  /** Takes the first task into {@link #taken}; refuses every later one. */
  private final class OnceThenRefusing implements Executor {
    @Override
    public void execute(Runnable task) {
      if (taken != null) {
        throw new RejectedExecutionException("refused for the test");
      }
      taken = task;
    }
  }

  private Runnable taken;
  private final LaneExecutor lane = new LaneExecutor(new OnceThenRefusing(), 1);
  private final AtomicInteger aRuns = new AtomicInteger();
  private final AtomicInteger bRuns = new AtomicInteger();
  private final Runnable start;

  public LaneExecutorRefusalTest() {
    lane.execute(aRuns::incrementAndGet);
    start = taken;
  }

  @Actor
  public void submitter(IIII_Result r) {
    try {
      lane.execute(bRuns::incrementAndGet);
    } catch (RejectedExecutionException e) {
      r.r1 = 1;
    }
  }

  @Actor
  public void worker() {
    start.run();
  }

  @Arbiter
  public void afterwards(IIII_Result r) {
    r.r2 = bRuns.get();
    r.r3 = aRuns.get();
    r.r4 = lane.backlog();
  }
}
