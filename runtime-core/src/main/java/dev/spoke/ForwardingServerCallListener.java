package dev.spoke;

/**
 * A {@link ServerCall.Listener} that passes every event to another: override what an interceptor
 * watches.
 *
 * @param <ReqT> the request message type
 */
public abstract class ForwardingServerCallListener<ReqT> extends ServerCall.Listener<ReqT> {

  /** The listener every event goes to. */
  protected abstract ServerCall.Listener<ReqT> delegate();

  @Override
  public void onMessage(ReqT message) {
    delegate().onMessage(message);
  }

  @Override
  public void onHalfClose() {
    delegate().onHalfClose();
  }

  @Override
  public void onCancel() {
    delegate().onCancel();
  }

  @Override
  public void onComplete() {
    delegate().onComplete();
  }

  @Override
  public void onReady() {
    delegate().onReady();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + delegate() + "}";
  }

  /**
   * A forwarding listener with its delegate given at construction.
   *
   * @param <ReqT> the request message type
   */
  public abstract static class SimpleForwardingServerCallListener<ReqT> extends ForwardingServerCallListener<ReqT> {
    private final ServerCall.Listener<ReqT> delegate;

    /** Forwards to {@code delegate}. */
    protected SimpleForwardingServerCallListener(ServerCall.Listener<ReqT> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ServerCall.Listener<ReqT> delegate() {
      return delegate;
    }
  }
}
