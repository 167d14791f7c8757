package dev.spoke;

/**
 * A {@link ClientCall.Listener} that passes every event to another: override what an interceptor
 * watches or changes.
 *
 * @param <RespT> the response message type
 */
public abstract class ForwardingClientCallListener<RespT> extends ClientCall.Listener<RespT> {

  /** The listener every event goes to. */
  protected abstract ClientCall.Listener<RespT> delegate();

  @Override
  public void onHeaders(Metadata headers) {
    delegate().onHeaders(headers);
  }

  @Override
  public void onMessage(RespT message) {
    delegate().onMessage(message);
  }

  @Override
  public void onClose(Status status, Metadata trailers) {
    delegate().onClose(status, trailers);
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
   * @param <RespT> the response message type
   */
  public abstract static class SimpleForwardingClientCallListener<RespT> extends ForwardingClientCallListener<RespT> {
    private final ClientCall.Listener<RespT> delegate;

    /** Forwards to {@code delegate}. */
    protected SimpleForwardingClientCallListener(ClientCall.Listener<RespT> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ClientCall.Listener<RespT> delegate() {
      return delegate;
    }
  }
}
