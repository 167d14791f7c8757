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
 * {@link TaskQueue}, many producers: two threads offer two tasks each at once; the consumer polls
 * everything afterwards.
 *
 * <p>Property: no task is lost or duplicated, and each producer's tasks come out in the order it
 * offered them.
 *
 * <p>Outcomes: the numbers of the five polls (producer A offers 1 then 2, producer B 3 then 4; 0 is an
 * empty poll). The queue is FIFO in the order of its tail swaps, and the two producers' swaps may
 * interleave in any way, so every merge of (1, 2) with (3, 4) is allowed — there are six — each
 * followed by an empty fifth poll. Any other result loses, repeats or reorders a task of one producer.
 */
@JCStressTest
@Outcome(id = "1, 2, 3, 4, 0", expect = ACCEPTABLE, desc = "A's offers, then B's")
@Outcome(id = "1, 3, 2, 4, 0", expect = ACCEPTABLE, desc = "interleaved, A first")
@Outcome(id = "1, 3, 4, 2, 0", expect = ACCEPTABLE, desc = "B's offers between A's")
@Outcome(id = "3, 1, 2, 4, 0", expect = ACCEPTABLE, desc = "A's offers between B's")
@Outcome(id = "3, 1, 4, 2, 0", expect = ACCEPTABLE, desc = "interleaved, B first")
@Outcome(id = "3, 4, 1, 2, 0", expect = ACCEPTABLE, desc = "B's offers, then A's")
@Outcome(expect = FORBIDDEN, desc = "a task lost, duplicated, or out of its producer's order")
@State
public class TaskQueueProducersTest {

  private static final Runnable A1 = new NumberedTask(1);
  private static final Runnable A2 = new NumberedTask(2);
  private static final Runnable B1 = new NumberedTask(3);
  private static final Runnable B2 = new NumberedTask(4);

  private final TaskQueue queue = new TaskQueue();

  @Actor
  public void producerA() {
    queue.offer(A1);
    queue.offer(A2);
  }

  @Actor
  public void producerB() {
    queue.offer(B1);
    queue.offer(B2);
  }

  @Arbiter
  public void consumer(IIIII_Result r) {
    r.r1 = numberOf(queue.poll());
    r.r2 = numberOf(queue.poll());
    r.r3 = numberOf(queue.poll());
    r.r4 = numberOf(queue.poll());
    r.r5 = numberOf(queue.poll());
  }
}
