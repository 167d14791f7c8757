package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

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
 * was not taken. When the shared executor refuses a task (it is shut down, or a bounded one is full),
 * that task goes back to the head of the lane and waits for the lane's next look; if it was the task
 * being submitted, it is taken out again and the refusal thrown to its submitter, who may run it
 * elsewhere (see {@link SerializingExecutor}). No task is ever both refused and run.
 *
 * <p>Thread-safe.
 */
public final class LaneExecutor implements Executor {

  private final Executor shared;
  private final int maxWaiting;
  private final ConcurrentLinkedDeque<Runnable> held = new ConcurrentLinkedDeque<>();
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
    held.add(task);
    try {
      feed();
    } catch (RuntimeException | Error e) {
      if (held.removeLastOccurrence(task)) {
        throw e; // not taken: the submitter hears of it
      }
      // Taken already, by the shared executor or by another feeder; the task refused waits here.
    }
  }

  /** Tasks of this lane not yet started: here and in the shared executor. */
  public int backlog() {
    return held.size() + waiting.get();
  }

  /**
   * Hands held tasks to the shared executor while fewer than maxWaiting of ours wait there. A task the
   * shared executor refuses goes back to the head of the lane before the refusal is thrown.
   */
  private void feed() {
    while (!held.isEmpty()) {
      int w = waiting.get();
      if (w >= maxWaiting) {
        return; // a task of ours starting soon looks again
      }
      if (!waiting.compareAndSet(w, w + 1)) {
        continue;
      }
      Runnable task = held.poll();
      if (task == null) {
        waiting.decrementAndGet();
        continue; // another feeder took it; look again in case more came
      }
      try {
        shared.execute(new Started(task));
      } catch (RuntimeException | Error e) {
        waiting.decrementAndGet();
        held.offerFirst(task);
        throw e;
      }
    }
  }

  /** A task of this lane in the shared executor: stops counting as waiting as soon as it starts. */
  private final class Started implements Runnable {
    private final Runnable task;

    Started(Runnable task) {
      this.task = task;
    }

    @Override
    public void run() {
      waiting.decrementAndGet();
      try {
        feed();
      } catch (RuntimeException | Error e) {
        // The shared executor refuses more (it is shutting down, or full): the held tasks stay held,
        // the refused one first, for the lane's next look.
      }
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
