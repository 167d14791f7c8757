package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.TimeUnit;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link ThreadlessExecutor}, tasks from two threads while the owner drains: the first task ever waits
 * in a field of its own, every later one in a queue made for it, and the owner reads the field before
 * the queue.
 *
 * <p>Property: no task is lost, run twice or run out of its producer's order — in particular a task
 * that goes to the queue is never run before the first task, whichever of the owner's reads of the
 * field and of the queue it races with.
 *
 * <p>Outcomes: the numbers of the tasks in the order the owner ran them, then how many ran beyond three.
 * The other thread submits 1 then 2 while the owner submits 3 itself (as an owner that receives its own
 * response does) and drains; the first two race for the field. Every merge of (1, 2) with (3) is
 * allowed, with nothing more; any other result loses, repeats or reorders a task.
 */
@JCStressTest
@Outcome(id = "1, 2, 3, 0", expect = ACCEPTABLE, desc = "the other thread's tasks first")
@Outcome(id = "1, 3, 2, 0", expect = ACCEPTABLE, desc = "the owner's task between the other's")
@Outcome(id = "3, 1, 2, 0", expect = ACCEPTABLE, desc = "the owner's task first")
@Outcome(expect = FORBIDDEN, desc = "a task lost, run twice, or out of its producer's order")
@State
public class ThreadlessExecutorOrderTest {

  /** How long the owner waits for the three tasks; a lost task costs this much. */
  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(5);

  private volatile ThreadlessExecutor executor;
  // The owner's alone: tasks run on it.
  private final int[] ran = new int[3];
  private int count;

  /** A task that notes its number where the owner runs it. */
  private final class Noted implements Runnable {
    private final int number;

    Noted(int number) {
      this.number = number;
    }

    @Override
    public void run() {
      if (count < ran.length) {
        ran[count] = number;
      }
      count++;
    }
  }

  @Actor
  public void owner(IIII_Result r) {
    ThreadlessExecutor e = new ThreadlessExecutor(); // owned by this thread
    executor = e;
    e.execute(new Noted(3));
    long giveUp = System.nanoTime() + GIVE_UP_NANOS;
    try {
      while (count < 3 && e.waitAndDrain(giveUp)) {
        // each round runs what has come so far
      }
    } catch (InterruptedException unexpected) {
      Thread.currentThread().interrupt();
    }
    // Anything that came late (a task run twice) shows in the count.
    e.shutdown();
    r.r1 = ran[0];
    r.r2 = ran[1];
    r.r3 = ran[2];
    r.r4 = Math.max(0, count - 3);
  }

  @Actor
  public void producer() {
    ThreadlessExecutor e = awaitExecutor();
    if (e != null) {
      e.execute(new Noted(1));
      e.execute(new Noted(2));
    }
  }

  /** The owner's executor once it made it, or null if it never did (reported as lost tasks). */
  private ThreadlessExecutor awaitExecutor() {
    long giveUp = System.nanoTime() + GIVE_UP_NANOS;
    ThreadlessExecutor e;
    while ((e = executor) == null && System.nanoTime() - giveUp < 0) {
      Thread.onSpinWait();
    }
    return e;
  }
}
