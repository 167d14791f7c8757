package dev.spoke;

/**
 * A {@link ServerCall} that passes everything to another: override what an interceptor changes, such
 * as {@link #sendHeaders} or {@link #close}.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public abstract class ForwardingServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {

  /** The call everything goes to. */
  protected abstract ServerCall<ReqT, RespT> delegate();

  @Override
  public void request(int numMessages) {
    delegate().request(numMessages);
  }

  @Override
  public void sendHeaders(Metadata headers) {
    delegate().sendHeaders(headers);
  }

  @Override
  public void sendMessage(RespT message) {
    delegate().sendMessage(message);
  }

  @Override
  public void close(Status status, Metadata trailers) {
    delegate().close(status, trailers);
  }

  @Override
  public boolean isCancelled() {
    return delegate().isCancelled();
  }

  @Override
  public boolean isReady() {
    return delegate().isReady();
  }

  @Override
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return delegate().getMethodDescriptor();
  }

  @Override
  public CallContext getContext() {
    return delegate().getContext();
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
  public abstract static class SimpleForwardingServerCall<ReqT, RespT> extends ForwardingServerCall<ReqT, RespT> {
    private final ServerCall<ReqT, RespT> delegate;

    /** Forwards to {@code delegate}. */
    protected SimpleForwardingServerCall(ServerCall<ReqT, RespT> delegate) {
      this.delegate = delegate;
    }

    @Override
    protected ServerCall<ReqT, RespT> delegate() {
      return delegate;
    }
  }
}
