package dev.spoke;

/**
 * A {@link ClientCall} that passes everything to another: override what an interceptor changes.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public abstract class ForwardingClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  /** The call everything goes to. */
  protected abstract ClientCall<ReqT, RespT> delegate();

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    delegate().start(responseListener, headers);
  }

  @Override
  public void request(int numMessages) {
    delegate().request(numMessages);
  }

  @Override
  public void sendMessage(ReqT message) {
    delegate().sendMessage(message);
  }

  @Override
  public void halfClose() {
    delegate().halfClose();
  }

  @Override
  public void cancel(String message, Throwable cause) {
    delegate().cancel(message, cause);
  }

  @Override
  public boolean isReady() {
    return delegate().isReady();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "{" + delegate() + "}";
  }

  /**
   * A forwarding call with its delegate given at construction.
   *
   * @param <ReqT> the request message type
   * @param <RespT> the response message type
   */
  public abstract static class SimpleForwardingClientCall<ReqT, RespT> extends ForwardingClientCall<ReqT, RespT> {
    private final ClientCall<ReqT, RespT> delegate;

    /** Forwards to {@code delegate}. */
    protected SimpleForwardingClientCall(ClientCall<ReqT, RespT> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ClientCall<ReqT, RespT> delegate() {
      return delegate;
    }
  }
}
