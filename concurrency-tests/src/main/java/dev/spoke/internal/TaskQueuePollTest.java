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
 * {@link TaskQueue}, the consumer polling while a producer offers: the producer offers tasks 1 and 2;
 * the consumer polls twice meanwhile; afterwards it polls three more times.
 *
 * <p>Property: a poll racing an offer returns either nothing or the next task in order, never a task
 * out of order, twice, or a task lost in the producer's half-linked window (the tail swapped, the link
 * not yet written), where poll must wait rather than report the queue empty.
 *
 * <p>Outcomes: the racing polls (r1, r2), then the later polls (r3 to r5); 0 is an empty poll. The
 * racing polls see a prefix of (1, 2) — none, 1 or both, with empty polls before or between — and the
 * later polls see exactly the rest, then nothing. The four results listed are all such cases (an empty
 * first poll followed by task 1; task 1 followed by an empty poll; neither; both); anything else loses,
 * repeats or reorders a task.
 */
@JCStressTest
@Outcome(id = "0, 0, 1, 2, 0", expect = ACCEPTABLE, desc = "both racing polls before the first offer")
@Outcome(id = "0, 1, 2, 0, 0", expect = ACCEPTABLE, desc = "first poll too early, second got task 1")
@Outcome(id = "1, 0, 2, 0, 0", expect = ACCEPTABLE, desc = "first poll got task 1, second too early")
@Outcome(id = "1, 2, 0, 0, 0", expect = ACCEPTABLE, desc = "both offers before the racing polls")
@Outcome(expect = FORBIDDEN, desc = "a task lost, duplicated or reordered")
@State
public class TaskQueuePollTest {

  private static final Runnable T1 = new NumberedTask(1);
  private static final Runnable T2 = new NumberedTask(2);

  private final TaskQueue queue = new TaskQueue();

  @Actor
  public void producer() {
    queue.offer(T1);
    queue.offer(T2);
  }

  @Actor
  public void consumer(IIIII_Result r) {
    r.r1 = numberOf(queue.poll());
    r.r2 = numberOf(queue.poll());
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r3 = numberOf(queue.poll());
    r.r4 = numberOf(queue.poll());
    r.r5 = numberOf(queue.poll());
  }
}
