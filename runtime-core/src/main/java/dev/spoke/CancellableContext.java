package dev.spoke;

import dev.spoke.internal.DeadlineTimer;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;

/**
 * A context that can be cancelled: made by {@link Context#withCancellation()} or {@link
 * Context#withDeadline}. It is cancelled by {@link #cancel}, by {@link #close}, at its deadline, or when
 * the context it was derived from is cancelled, whichever comes first; calls started while it is current
 * end with it.
 *
 * <pre>{@code
 * try (CancellableContext scope = Context.current().withCancellation()) {
 *   scope.run(() -> startCalls());
 * } // the calls still running end here
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class CancellableContext extends Context implements AutoCloseable {

  private final Context parentCancellable;
  private final Deadline deadline;
  /** Null once cancelled: the listeners were handed to {@link #cancel}. Guarded by this. */
  private Context.Listeners listeners = new Context.Listeners();
  private final CancellationListener parentListener = parent -> cancel(parent.cancellationCause());
  private volatile boolean cancelled;
  private Throwable cause;
  private DeadlineTimer.Task deadlineTask;
  private ScheduledFuture<?> scheduled;

  CancellableContext(Context parent, Deadline ownDeadline) {
    super(parent);
    this.parentCancellable = parent.cancellable;
    Deadline inherited = parent.getDeadline();
    this.deadline = ownDeadline == null ? inherited : ownDeadline.minimum(inherited);
    if (parentCancellable != null) {
      parentCancellable.addListener(parentListener, DirectExecutor.INSTANCE);
    }
  }

  static CancellableContext withDeadline(Context parent, Deadline deadline, ScheduledExecutorService scheduler) {
    CancellableContext c = new CancellableContext(parent, deadline);
    if (deadline != null && c.deadline == deadline) { // the parent's own deadline is earlier otherwise
      if (deadline.isExpired()) {
        c.cancel(new java.util.concurrent.TimeoutException("context timed out"));
      } else if (scheduler != null) {
        ScheduledFuture<?> f = Context.schedule(scheduler, c, deadline);
        synchronized (c) {
          c.scheduled = f;
        }
        if (c.cancelled) {
          f.cancel(false);
        }
      } else {
        DeadlineTimer.Task task = new Context.DeadlineTask(c);
        synchronized (c) {
          c.deadlineTask = task;
        }
        DeadlineTimer.shared().schedule(task, deadline.nanoTime());
        if (c.cancelled) {
          task.cancel();
        }
      }
    }
    return c;
  }

  /**
   * Cancels this context and its descendants with {@code cause} (may be null); runs its listeners.
   * Returns true the first time, false if it was already cancelled.
   */
  public boolean cancel(Throwable cause) {
    Context.Listeners toFire;
    synchronized (this) {
      if (cancelled) {
        return false;
      }
      this.cause = cause;
      cancelled = true;
      toFire = listeners;
      listeners = null;
      if (deadlineTask != null) {
        deadlineTask.cancel();
      }
      if (scheduled != null) {
        scheduled.cancel(false);
      }
    }
    if (parentCancellable != null) {
      parentCancellable.removeListener(parentListener);
    }
    toFire.fire(this);
    return true;
  }

  /** Cancels with no cause; see {@link #cancel}. */
  @Override
  public void close() {
    cancel(null);
  }

  /** Makes {@code toAttach} current again (as {@link #detach} does) and cancels this context. */
  public void detachAndCancel(Context toAttach, Throwable cause) {
    try {
      detach(toAttach);
    } finally {
      cancel(cause);
    }
  }

  /** True if this context is the current one on this thread. */
  public boolean isCurrent() {
    return current() == this;
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public synchronized Throwable cancellationCause() {
    return cause;
  }

  @Override
  public Deadline getDeadline() {
    return deadline;
  }

  @Override
  public void addListener(CancellationListener listener, Executor executor) {
    java.util.Objects.requireNonNull(listener, "listener");
    java.util.Objects.requireNonNull(executor, "executor");
    synchronized (this) {
      if (listeners != null) {
        listeners.add(listener, executor);
        return;
      }
    }
    Context.Listeners.notify(this, listener, executor);
  }

  @Override
  public void removeListener(CancellationListener listener) {
    synchronized (this) {
      if (listeners != null) {
        listeners.remove(listener);
      }
    }
  }
}
