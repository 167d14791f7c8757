package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.spoke.DirectExecutor;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * {@link SerializingExecutor} over {@link DirectExecutor}: two threads submit two tasks each at once.
 * A task that finds the executor idle runs on its submitter's thread, which then drains what the
 * other thread queued meanwhile, and re-checks for a late arrival as it goes idle.
 *
 * <p>Property: the tasks never run at the same time, each thread's tasks run in the order it submitted
 * them, and once both submissions have returned every task has run — none is stranded in the queue by
 * a runner that went idle just as it arrived (over a direct executor nobody else would ever run it).
 *
 * <p>Outcomes: the numbers of the tasks in the order they ran (thread A submits 1 then 2, thread B 3
 * then 4), then whether two overlapped (1) and how many ran. Submissions from the two threads may be
 * serialized in any order, so every merge of (1, 2) with (3, 4) is allowed — the six listed — each with
 * no overlap and all four run. Anything else is an overlap, a lost, stranded, repeated or reordered task.
 */
@JCStressTest
@Outcome(id = "1, 2, 3, 4, 0, 4", expect = ACCEPTABLE, desc = "A's tasks, then B's")
@Outcome(id = "1, 3, 2, 4, 0, 4", expect = ACCEPTABLE, desc = "interleaved, A first")
@Outcome(id = "1, 3, 4, 2, 0, 4", expect = ACCEPTABLE, desc = "B's tasks between A's")
@Outcome(id = "3, 1, 2, 4, 0, 4", expect = ACCEPTABLE, desc = "A's tasks between B's")
@Outcome(id = "3, 1, 4, 2, 0, 4", expect = ACCEPTABLE, desc = "interleaved, B first")
@Outcome(id = "3, 4, 1, 2, 0, 4", expect = ACCEPTABLE, desc = "B's tasks, then A's")
@Outcome(expect = FORBIDDEN, desc = "tasks overlapped, or one was lost, stranded, repeated or reordered")
@State
public class SerializingExecutorDirectTest {

  private final RunLog log = new RunLog(8);
  private final SerializingExecutor executor = new SerializingExecutor(DirectExecutor.INSTANCE);

  @Actor
  public void threadA() {
    executor.execute(log.task(1));
    executor.execute(log.task(2));
  }

  @Actor
  public void threadB() {
    executor.execute(log.task(3));
    executor.execute(log.task(4));
  }

  @Arbiter
  public void afterwards(IIIIII_Result r) {
    r.r1 = log.numberAt(0);
    r.r2 = log.numberAt(1);
    r.r3 = log.numberAt(2);
    r.r4 = log.numberAt(3);
    r.r5 = log.overlapped() ? 1 : 0;
    r.r6 = log.finished();
  }
}
