package dev.spoke.internal;

import static dev.spoke.internal.NumberedTask.numberOf;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link TaskQueue#isEmpty} and {@link TaskQueue#poll} while one task is offered: the consumer asks
 * isEmpty, polls, and asks isEmpty again; afterwards it polls and asks once more.
 *
 * <p>Property: isEmpty never contradicts poll. If it says a task is there, the next poll returns it
 * (even from the producer's half-linked window, where poll must wait for the link); once the only task
 * has been polled, the queue is empty; and the task is delivered exactly once.
 *
 * <p>Outcomes: (isEmpty, poll, isEmpty) by the consumer, then (poll, isEmpty) afterwards; isEmpty is 1
 * for empty, a poll gives the task's number (1) or 0. The one offer lands before the first isEmpty,
 * between it and the poll, between the poll and the second isEmpty, or after everything: the four
 * results listed, one per place. Any other result has isEmpty deny a task that poll then returns (or the
 * converse), the task lost, or delivered twice.
 */
@JCStressTest
@Outcome(id = "0, 1, 1, 0, 1", expect = ACCEPTABLE, desc = "offered before the first isEmpty")
@Outcome(id = "1, 1, 1, 0, 1", expect = ACCEPTABLE, desc = "offered between isEmpty and poll")
@Outcome(id = "1, 0, 0, 1, 1", expect = ACCEPTABLE, desc = "offered between poll and the second isEmpty")
@Outcome(id = "1, 0, 1, 1, 1", expect = ACCEPTABLE, desc = "offered after the consumer looked")
@Outcome(expect = FORBIDDEN, desc = "isEmpty contradicts poll, or the task was lost or duplicated")
@State
public class TaskQueueEmptinessTest {

  private static final Runnable TASK = new NumberedTask(1);

  private final TaskQueue queue = new TaskQueue();

  @Actor
  public void producer() {
    queue.offer(TASK);
  }

  @Actor
  public void consumer(IIIII_Result r) {
    r.r1 = queue.isEmpty() ? 1 : 0;
    r.r2 = numberOf(queue.poll());
    r.r3 = queue.isEmpty() ? 1 : 0;
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r4 = numberOf(queue.poll());
    r.r5 = queue.isEmpty() ? 1 : 0;
  }
}
