package dev.spoke;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Context} of a server call: who called, the deadline, the request headers, whether the
 * call was cancelled; and the trailers it will send back.
 *
 * <p>While a handler callback runs, its call's context is current: {@link Context#current()} returns it
 * (or a context derived from it, inside {@link Context#run} and the like), and {@link #current()} finds
 * it. Calls a handler starts while it is current inherit its deadline (the earlier of the two wins) and
 * are cancelled when it is cancelled, so a chain of calls never outlives the call that began it. A call
 * that completes normally does not cancel its context.
 *
 * <p>Thread-safe, except {@link #getTrailers()}, which belongs to the handler.
 */
public abstract class CallContext extends Context {

  /** Made on the first listener (most calls have none); handed to the cancellation. Guarded by this. */
  private Context.Listeners listeners;
  private volatile Status cancellation;
  private volatile StatusRuntimeException cancellationCause;

  /** Server call contexts descend from {@link Context#ROOT}: nothing of the client's context comes along. */
  protected CallContext() {
    super(ROOT);
  }

  /**
   * The context of the server call whose callback runs on this thread, or null when the thread serves
   * no call. ({@link Context#current()} is never null.)
   */
  public static CallContext current() {
    return Context.current().callContext();
  }

  /**
   * Runs {@code task} with a context that keeps the current one's values but neither its deadline nor
   * its cancellation ({@link Context#fork()}), so calls it starts do not end with the current call: for
   * work that must outlive the call, such as reporting that it was cancelled.
   */
  public static void runDetached(Runnable task) {
    Context.current().fork().run(task);
  }

  /** The full name of the method being served, {@code package.Service/Method}. */
  public abstract String getMethodName();

  /** Who made the call, for messages: the connection's remote side. */
  public abstract String getPeer();

  /** The deadline the client set, or null. */
  @Override
  public abstract Deadline getDeadline();

  /** Time left before the deadline in {@code unit}, or {@link Long#MAX_VALUE} without a deadline. */
  public long timeRemaining(TimeUnit unit) {
    Deadline d = getDeadline();
    return d == null ? Long.MAX_VALUE : d.timeRemaining(unit);
  }

  /** The request headers. Do not modify. */
  public abstract Metadata getHeaders();

  /** The trailers that will be sent when the call closes; handlers add to them. */
  public abstract Metadata getTrailers();

  /** True once the call was cancelled: by the client, its deadline, or the connection closing. */
  @Override
  public final boolean isCancelled() {
    return cancellation != null;
  }

  /** Why the call was cancelled, or null while it is not. */
  public final Status getCancellationStatus() {
    return cancellation;
  }

  /** A {@link StatusRuntimeException} with the cancellation status, or null while not cancelled. */
  @Override
  public final Throwable cancellationCause() {
    return cancellationCause;
  }

  /**
   * Runs {@code listener} on {@code executor} when the call is cancelled; at once if it already is.
   * Listeners do not run when the call completes normally.
   */
  public final void addCancellationListener(Runnable listener, Executor executor) {
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(executor, "executor");
    synchronized (this) {
      if (cancellation == null) {
        listeners().add(listener, executor);
        return;
      }
    }
    Context.Listeners.run(this, listener, executor);
  }

  /** Removes a listener added by {@link #addCancellationListener}; no-op if absent. */
  public final synchronized void removeCancellationListener(Runnable listener) {
    if (listeners != null) {
      listeners.remove(listener);
    }
  }

  @Override
  public void addListener(CancellationListener listener, Executor executor) {
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(executor, "executor");
    synchronized (this) {
      if (cancellation == null) {
        listeners().add(listener, executor);
        return;
      }
    }
    Context.Listeners.notify(this, listener, executor);
  }

  @Override
  public synchronized void removeListener(CancellationListener listener) {
    if (listeners != null) {
      listeners.remove(listener);
    }
  }

  /**
   * Marks the call cancelled with {@code status} and runs the listeners, handed to {@code notifyOn}
   * first (the caller may be a receive thread, which must not run user code). For the framework. Returns
   * false if the call was already cancelled.
   */
  protected final boolean cancel(Status status, Executor notifyOn) {
    Context.Listeners toRun;
    synchronized (this) {
      if (cancellation != null) {
        return false;
      }
      cancellationCause = status.asRuntimeException();
      cancellation = status;
      toRun = listeners;
      listeners = null;
    }
    if (toRun != null && !toRun.isEmpty()) {
      notifyOn.execute(() -> toRun.fire(this));
    }
    return true;
  }

  /** Guarded by this, before the cancellation. */
  private Context.Listeners listeners() {
    if (listeners == null) {
      listeners = new Context.Listeners();
    }
    return listeners;
  }
}
