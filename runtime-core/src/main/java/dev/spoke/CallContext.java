package dev.spoke;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What a server handler knows about the call it serves: who called, the deadline, the request
 * headers, whether the call was cancelled; and the trailers it will send back.
 *
 * <p>{@link #current()} returns it on the thread that runs a handler callback. Calls a handler starts
 * while a context is current inherit its deadline (the earlier of the two wins) and are cancelled when
 * it is cancelled, so a chain of calls never outlives the call that began it.
 *
 * <p>Thread-safe, except {@link #getTrailers()}, which belongs to the handler.
 */
public abstract class CallContext {

  private static final ThreadLocal<CallContext> CURRENT = new ThreadLocal<>();

  protected CallContext() {}

  /** The context of the server call whose callback runs on this thread, or null. */
  public static CallContext current() {
    return CURRENT.get();
  }

  /**
   * Makes {@code context} current on this thread and returns the one it replaces; restore that with
   * another call when done. For framework code and for handlers that hand work to another thread.
   */
  public static CallContext attach(CallContext context) {
    CallContext previous = CURRENT.get();
    CURRENT.set(context);
    return previous;
  }

  /**
   * Runs {@code task} with no context current, so calls it starts neither inherit the current call's
   * deadline nor end with its cancellation: for work that must outlive the call, such as reporting that
   * it was cancelled.
   */
  public static void runDetached(Runnable task) {
    CallContext previous = attach(null);
    try {
      task.run();
    } finally {
      attach(previous);
    }
  }

  /** Wraps {@code task} so that it runs with this context current. */
  public Runnable wrap(Runnable task) {
    return () -> {
      CallContext previous = attach(this);
      try {
        task.run();
      } finally {
        attach(previous);
      }
    };
  }

  /** The full name of the method being served, {@code package.Service/Method}. */
  public abstract String getMethodName();

  /** Who made the call, for messages: the connection's remote side. */
  public abstract String getPeer();

  /** The deadline the client set, or null. */
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
  public abstract boolean isCancelled();

  /** Why the call was cancelled, or null while it is not. */
  public abstract Status getCancellationStatus();

  /**
   * Runs {@code listener} on {@code executor} when the call is cancelled; at once if it already is.
   * Listeners do not run when the call completes normally.
   */
  public abstract void addCancellationListener(Runnable listener, Executor executor);

  /** Removes a listener added by {@link #addCancellationListener}; no-op if absent. */
  public abstract void removeCancellationListener(Runnable listener);
}
