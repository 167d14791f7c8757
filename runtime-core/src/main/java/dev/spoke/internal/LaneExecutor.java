package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection's lane into an executor shared by many connections: at most {@code maxWaiting} of its
 * tasks wait in the shared executor at once; the rest wait here, in order. A task counts as waiting
 * until a worker starts it, so tasks that run long or block never narrow the lane (the shared pool grows
 * for them, as it does for anyone). One connection that submits a flood — a plugin flooding the host
 * with calls — queues here, and another connection's next task waits behind at most {@code maxWaiting}
 * of the flood's, not behind all of it.
 *
 * <p>No wake-up is lost: every task added here and every task that starts is followed by a look at the
 * queue, and the count of waiting tasks is an atomic both sides read after their own write.
 *
 * <p>Refusals keep {@link Executor}'s contract: {@link #execute} throws only if the task it was given
 * was not taken, and then it never runs. When the shared executor refuses a task (it is shut down, or a
 * bounded one is full): if it is the task being submitted, the refusal is thrown to its submitter, who
 * may run it elsewhere (see {@link SerializingExecutor}); any other task of the lane, whose submitter
 * was told it was taken, runs on the thread that met the refusal (a worker starting a task of the lane,
 * or a submitter), so none is left waiting for a look that may never come. Each task is claimed once,
 * by its start or by a refusal, so that an executor that throws after all taking the task (a caller-runs
 * policy, an error after queueing it) cannot have it run twice.
 *
 * <p>Thread-safe.
 */
public final class LaneExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(LaneExecutor.class);

  private final Executor shared;
  private final int maxWaiting;
  private final ConcurrentLinkedQueue<Started> held = new ConcurrentLinkedQueue<>();
  /** Tasks handed to the shared executor that no worker has started yet. */
  private final AtomicInteger waiting = new AtomicInteger();

  /**
   * @param shared the executor the lane feeds
   * @param maxWaiting the most tasks of this lane waiting in {@code shared} at once
   */
  public LaneExecutor(Executor shared, int maxWaiting) {
    if (maxWaiting < 1) {
      throw new IllegalArgumentException("maxWaiting must be positive, got " + maxWaiting);
    }
    this.shared = shared;
    this.maxWaiting = maxWaiting;
  }

  @Override
  public void execute(Runnable task) {
    Started submitted = new Started(task);
    held.add(submitted);
    feed(submitted);
  }

  /** Tasks of this lane not yet started: here and in the shared executor. */
  public int backlog() {
    return held.size() + waiting.get();
  }

  /**
   * Hands held tasks to the shared executor while fewer than maxWaiting of ours wait there. A task it
   * refuses is thrown back if it is {@code submitted} (the task this thread is submitting; null for a
   * look from a task's start); any other is run here, as nobody else would run it.
   */
  private void feed(Started submitted) {
    while (!held.isEmpty()) {
      int w = waiting.get();
      if (w >= maxWaiting) {
        return; // a task of ours starting soon looks again
      }
      if (!waiting.compareAndSet(w, w + 1)) {
        continue;
      }
      Started next = held.poll();
      if (next == null) {
        waiting.decrementAndGet();
        continue; // another feeder took it; look again in case more came
      }
      try {
        shared.execute(next);
      } catch (RuntimeException | Error e) {
        if (!next.claim()) {
          // It ran, or will run, after all (a caller-runs policy, an error thrown after the task was
          // queued): it stopped counting as waiting when it started.
          continue;
        }
        waiting.decrementAndGet();
        if (next != submitted) {
          runRefused(next, e);
          continue;
        }
        // Not taken: its submitter hears of it, and may run it elsewhere. The places this thread and
        // others gave up meanwhile may leave held tasks with no start of the lane to look for them:
        // look once more (refused, they run here).
        feed(null);
        if (e instanceof Error) {
          log.error("the shared executor failed to take a task; it is refused", e);
          throw new RejectedExecutionException(e);
        }
        throw (RuntimeException) e;
      }
    }
  }

  /**
   * A task of another submitter, which was told it was taken, that the shared executor refused: this
   * thread runs it, as application code if it is a transport's receive thread.
   */
  private static void runRefused(Started refused, Throwable why) {
    log.debug("the shared executor refused a task of this lane ({}); running it on {}", why.toString(),
        Thread.currentThread().getName());
    try {
      InboundDelivery.runAsApplicationCode(refused.task);
    } catch (RuntimeException | Error t) {
      log.error("a task of this lane, run here as the shared executor refused it, threw", t);
    }
  }

  /**
   * A task of this lane: held, then in the shared executor, where it stops counting as waiting as soon as
   * it starts. Claimed once, by its start or by the handling of a refusal, so that it never runs twice.
   */
  private final class Started extends AtomicBoolean implements Runnable {
    private final Runnable task;

    Started(Runnable task) {
      this.task = task;
    }

    /** True for the first caller only: the one that runs the task. */
    boolean claim() {
      return compareAndSet(false, true);
    }

    @Override
    public void run() {
      if (!claim()) {
        return; // refused, and run elsewhere
      }
      waiting.decrementAndGet();
      feed(null);
      task.run();
    }

    @Override
    public String toString() {
      return task.toString();
    }
  }

  @Override
  public String toString() {
    return "LaneExecutor{" + backlog() + " not started, at most " + maxWaiting + " waiting in " + shared + "}";
  }
}
