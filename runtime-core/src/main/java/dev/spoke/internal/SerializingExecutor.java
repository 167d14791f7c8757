package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks given to it one at a time, in order, on an underlying executor: each call's callbacks
 * go through one, so a call's events are never concurrent or reordered while different calls run in
 * parallel. At most one task of this executor is ever queued on the underlying one.
 *
 * <p>Thread-safe; {@link #execute} may be called from any thread, including from inside a task.
 */
public final class SerializingExecutor implements Executor, Runnable {

  private static final Logger log = LoggerFactory.getLogger(SerializingExecutor.class);

  private final Executor delegate;
  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  public SerializingExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    queue.add(task);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        delegate.execute(this);
      } catch (RuntimeException e) {
        scheduled.set(false);
        throw e;
      }
    }
  }

  @Override
  public void run() {
    for (;;) {
      Runnable task;
      while ((task = queue.poll()) != null) {
        try {
          task.run();
        } catch (Throwable t) {
          log.error("call callback {} threw", task, t);
        }
      }
      scheduled.set(false);
      // A task queued after the last poll but before the flag was cleared saw the flag set and did not
      // schedule us: take it now.
      if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
        return;
      }
    }
  }
}
