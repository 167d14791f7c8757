package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.spoke.DirectExecutor;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link SerializingExecutor} over {@link DirectExecutor}, a task that schedules another from inside
 * itself (a handler completing in its own callback) while another thread submits: thread A submits
 * task 1, which submits task 2 as it runs; thread B submits task 3. Task 1 notes whether B's
 * submission had already returned when it submitted task 2.
 *
 * <p>Property: no overlap, nothing lost or stranded, task 2 runs after task 1, and a task scheduled
 * from inside a running task never overtakes one another thread had already queued: the executor runs
 * it right after its parent only when nothing is queued before it.
 *
 * <p>Outcomes: the three numbers in the order the tasks ran, whether task 3 was queued (its submission
 * returned) before task 2 was submitted (1) or not known to be (0), and overlaps plus missing tasks (0).
 * Task 3 runs before task 1, between tasks 1 and 2, or after both. Before task 1 and between, either
 * note is possible (B may return before or after task 1 looks). After both only with note 0: with
 * note 1 task 3 was already waiting in the queue, and task 2 must queue behind it.
 */
@JCStressTest
@Outcome(id = "3, 1, 2, [01], 0", expect = ACCEPTABLE, desc = "task 3 first")
@Outcome(id = "1, 3, 2, [01], 0", expect = ACCEPTABLE, desc = "task 3 between the parent and its child")
@Outcome(id = "1, 2, 3, 0, 0", expect = ACCEPTABLE, desc = "the child right after its parent, task 3 last")
@Outcome(id = "1, 2, 3, 1, 0", expect = FORBIDDEN, desc = "the child overtook a task already queued")
@Outcome(expect = FORBIDDEN, desc = "tasks overlapped, or one was lost, stranded or reordered")
@State
public class SerializingExecutorNestedTest {

  private final RunLog log = new RunLog(8);
  private final SerializingExecutor executor = new SerializingExecutor(DirectExecutor.INSTANCE);
  private volatile boolean thirdQueued;
  private boolean thirdQueuedBeforeChild; // written by task 1, read after both actors (happens-before)

  @Actor
  public void threadA() {
    executor.execute(() -> {
      log.ran(1);
      thirdQueuedBeforeChild = thirdQueued;
      executor.execute(log.task(2));
    });
  }

  @Actor
  public void threadB() {
    executor.execute(log.task(3));
    thirdQueued = true;
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r1 = log.numberAt(0);
    r.r2 = log.numberAt(1);
    r.r3 = log.numberAt(2);
    r.r4 = thirdQueuedBeforeChild ? 1 : 0;
    r.r5 = (log.overlapped() ? 1 : 0) + (3 - log.finished());
  }
}
