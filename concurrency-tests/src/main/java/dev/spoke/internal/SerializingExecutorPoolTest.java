package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * {@link SerializingExecutor} over a thread pool: two threads submit two tasks each at once; the
 * executor's runs happen on the pool's two threads, so a run may be draining (or just going idle) on a
 * pool thread while the submitters add more.
 *
 * <p>Property: the tasks never run at the same time (even though the pool could run two runs at once),
 * each submitter's tasks run in the order it submitted them, and every task runs — none is stranded by
 * a run that went idle just as it arrived.
 *
 * <p>Outcomes: the numbers of the tasks in the order they ran (thread A submits 1 then 2, thread B 3
 * then 4), then whether two overlapped (1) and how many ran within {@link #TIMEOUT_SECONDS} (an idle
 * pool runs four tiny tasks in microseconds). Submissions from the two threads may be serialized in any
 * order, so every merge of (1, 2) with (3, 4) is allowed — the six listed — each with no overlap and
 * all four run. Anything else is an overlap, a lost, stranded, repeated or reordered task.
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
public class SerializingExecutorPoolTest {

  /** How long the arbiter waits for the pool to run every task before it calls one stranded. */
  static final long TIMEOUT_SECONDS = 10;

  /** One pool for every sample of the fork, as an application shares one; daemon threads. */
  private static final ExecutorService POOL = Executors.newFixedThreadPool(2, task -> {
    Thread t = new Thread(task, "serializing-executor-pool");
    t.setDaemon(true);
    return t;
  });

  private final RunLog log = new RunLog(8);
  private final SerializingExecutor executor = new SerializingExecutor(POOL);

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
    r.r6 = log.awaitFinished(4, TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS));
    r.r1 = log.numberAt(0);
    r.r2 = log.numberAt(1);
    r.r3 = log.numberAt(2);
    r.r4 = log.numberAt(3);
    r.r5 = log.overlapped() ? 1 : 0;
  }
}
