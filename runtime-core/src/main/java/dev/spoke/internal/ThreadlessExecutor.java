package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An executor with no thread: tasks queue until the one thread that owns it drains them in {@link
 * #waitAndDrain}. A blocking call uses one so that its response is parsed and delivered on the
 * caller's own thread, with no hand-off through a pool.
 *
 * <p>The waiting thread spins for a short window before it parks, because on the target machines a
 * parked wake-up costs ~50 µs while a response often arrives within a few µs. It announces parking and
 * re-checks the queue before parking; {@link #execute} enqueues and then unparks only if the owner
 * announced parking, so a wake-up is never lost and never paid for when nobody sleeps.
 *
 * <p>{@link #execute} is thread-safe; {@link #waitAndDrain} belongs to the owner thread.
 */
public final class ThreadlessExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(ThreadlessExecutor.class);

  /** The longest the owner spins before it parks. */
  private static final long MAX_SPIN_NANOS = 50_000;

  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final Thread owner = Thread.currentThread();
  private volatile boolean parked;

  @Override
  public void execute(Runnable task) {
    queue.add(task);
    // NOTE: the task is published before parked is read; the owner writes parked before re-reading the
    // queue.
    if (parked) {
      LockSupport.unpark(owner);
    }
  }

  /**
   * Waits until at least one task is queued or {@code deadlineNanos} (a {@link System#nanoTime()}
   * value) passes, then runs every queued task.
   *
   * @return false if the deadline passed with nothing to run
   * @throws InterruptedException if the owner was interrupted while parked
   */
  public boolean waitAndDrain(long deadlineNanos) throws InterruptedException {
    Runnable task = queue.poll();
    if (task == null) {
      task = spin(deadlineNanos);
    }
    if (task == null) {
      task = park(deadlineNanos);
      if (task == null) {
        return false;
      }
    }
    do {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("call callback {} threw", task, t);
      }
    } while ((task = queue.poll()) != null);
    return true;
  }

  private Runnable spin(long deadlineNanos) {
    long start = System.nanoTime();
    for (int i = 0; ; i++) {
      Runnable task = queue.poll();
      if (task != null) {
        return task;
      }
      if ((i & 31) == 0) {
        long now = System.nanoTime();
        if (now - start > MAX_SPIN_NANOS || now - deadlineNanos >= 0) {
          return null;
        }
      }
      Thread.onSpinWait();
    }
  }

  private Runnable park(long deadlineNanos) throws InterruptedException {
    parked = true;
    try {
      for (;;) {
        Runnable task = queue.poll();
        if (task != null) {
          return task;
        }
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          return null;
        }
        LockSupport.parkNanos(this, remaining);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      parked = false;
    }
  }
}
