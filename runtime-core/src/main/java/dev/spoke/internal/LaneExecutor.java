package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
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
 * <p>Thread-safe.
 */
public final class LaneExecutor implements Executor {

  private final Executor shared;
  private final int maxWaiting;
  private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
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
    feed();
  }

  /** Tasks of this lane not yet started: here and in the shared executor. */
  public int backlog() {
    return held.size() + waiting.get();
  }

  /** Hands held tasks to the shared executor while fewer than maxWaiting of ours wait there. */
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
      } catch (RuntimeException e) {
        waiting.decrementAndGet();
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
      } catch (RuntimeException e) {
        // The shared executor refuses more (it is shutting down): the held tasks stay held.
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
