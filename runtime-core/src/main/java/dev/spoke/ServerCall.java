package dev.spoke;

/**
 * One call from the server's side: the low-level API under {@code ServerCalls} and generated services.
 *
 * <p>Order of use: {@link #sendHeaders} at most once, before the first message; then any number of
 * {@link #sendMessage}; then {@link #close} once. {@link #sendHeaders}, {@link #sendMessage} and {@link
 * #close} are not thread-safe with respect to each other; {@link #isCancelled()} is safe from any
 * thread. Listener callbacks run one at a time, in order, on the service's executor, with the call's
 * {@link CallContext} current.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public abstract class ServerCall<ReqT, RespT> {

  /**
   * Receives the events of a call. Exactly one of {@link #onComplete} or {@link #onCancel} is the last
   * callback.
   *
   * @param <T> the request message type
   */
  public abstract static class Listener<T> {
    /** A request message, delivered only as far as {@link ServerCall#request} allows. */
    public void onMessage(T message) {}

    /** The client will send no more messages. */
    public void onHalfClose() {}

    /** The call was cancelled (by the client, its deadline, or the connection); sends are dropped. */
    public void onCancel() {}

    /** The call was closed by the server and its status sent. */
    public void onComplete() {}

    /** {@link ServerCall#isReady()} has turned true. */
    public void onReady() {}
  }

  /**
   * Sends the response headers. At most once, and before the first {@link #sendMessage}; without it the
   * client gets no headers (see docs/PROTOCOL.md). For methods whose server sends a stream, the headers
   * go out at once; for the others they travel with the response and the status, as in gRPC-java, which
   * flushes them only with the response. Ignored once the call was cancelled.
   *
   * @throws IllegalStateException if headers were sent already, or a message was, or the call was closed
   * @throws IllegalArgumentException if the headers take more than {@link Metadata#MAX_ENCODED_BYTES}
   */
  public abstract void sendHeaders(Metadata headers);

  /** Asks for {@code numMessages} more request messages to be delivered. */
  public abstract void request(int numMessages);

  /**
   * Sends a response message. Never blocks on flow control; see {@link ClientCall#sendMessage} for
   * how a message waits for credit.
   */
  public abstract void sendMessage(RespT message);

  /**
   * Ends the call with {@code status} and {@code trailers} (may be null), after any messages still
   * waiting for credit. Later calls are ignored.
   */
  public abstract void close(Status status, Metadata trailers);

  /** True once the call was cancelled; sends are then dropped. */
  public abstract boolean isCancelled();

  /** True if a message sent now would go out at once rather than wait for flow-control credit. */
  public abstract boolean isReady();

  /** The method this call is of. */
  public abstract MethodDescriptor<ReqT, RespT> getMethodDescriptor();

  /** The call's context: deadline, headers, cancellation, trailers. */
  public abstract CallContext getContext();
}
