package dev.spoke.stub;

/**
 * A {@link StreamObserver} that sends on a call and exposes the call's flow control: the other side
 * grants credit in messages, and a producer that honours {@link #isReady()} and {@link
 * #setOnReadyHandler} never queues more than the other side has room for.
 *
 * @param <V> the value type
 */
public abstract class CallStreamObserver<V> implements StreamObserver<V> {

  /**
   * True if a value passed to {@link #onNext} now would go out at once. When false, {@code onNext}
   * still works but the value waits in memory for credit.
   */
  public abstract boolean isReady();

  /**
   * Runs {@code handler} (on the call's executor) each time {@link #isReady()} turns true after having
   * been false. Set it before the first {@code onNext}.
   */
  public abstract void setOnReadyHandler(Runnable handler);

  /** Stops requesting values automatically; the application then calls {@link #request}. */
  public abstract void disableAutoRequest();

  /** Asks for {@code count} more inbound values. */
  public abstract void request(int count);
}
