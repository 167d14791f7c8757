package dev.spoke;

/**
 * One call from the client's side: the low-level API under the generated stubs, in gRPC-java's shape.
 *
 * <p>Listener callbacks come in the order {@link Listener#onHeaders onHeaders} (if the server sent
 * headers), {@link Listener#onMessage onMessage} (any number), {@link Listener#onClose onClose}, with
 * {@link Listener#onReady onReady} in between; they run with the {@link Context} that was current when
 * the call started.
 *
 * <p>Order of use: {@link #start} once; then any number of {@link #request}, {@link #sendMessage};
 * then {@link #halfClose} once; {@link #cancel} at any time. The methods are not thread-safe with
 * respect to each other (as in gRPC-java), except {@link #cancel}, which may race anything. Listener
 * callbacks run one at a time, in order, on the call's executor; with a direct executor, on the thread
 * that delivered the event. A blocking stub gives every call an executor of its own, drained by the
 * calling thread: nothing of one call is ever seen by another.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public abstract class ClientCall<ReqT, RespT> {

  /**
   * Receives the events of a call. {@link #onClose} is always the last callback and always comes,
   * exactly once.
   *
   * @param <T> the response message type
   */
  public abstract static class Listener<T> {
    /**
     * The server's response headers, before any message. Comes only when the server sent headers
     * ({@link ServerCall#sendHeaders}), at most once; a call that ends without them goes straight to
     * {@link #onClose}.
     */
    public void onHeaders(Metadata headers) {}

    /** A response message, delivered only as far as {@link ClientCall#request} allows. */
    public void onMessage(T message) {}

    /**
     * The call ended with {@code status}; {@code trailers} are the server's (empty for a status made
     * locally, such as a deadline or a cancellation).
     */
    public void onClose(Status status, Metadata trailers) {}

    /** {@link ClientCall#isReady()} has turned true: the server has granted more flow-control credit. */
    public void onReady() {}
  }

  /**
   * Starts the call. {@code headers} (may be null) are sent with the call, after the headers of the
   * call's {@link CallOptions}.
   */
  public abstract void start(Listener<RespT> listener, Metadata headers);

  /** Asks for {@code numMessages} more response messages to be delivered to the listener. */
  public abstract void request(int numMessages);

  /**
   * Sends a request message. Never blocks on flow control: when the server has granted no credit, the
   * message waits in this call's queue and {@link #isReady()} reads false; callers that produce fast
   * should honour {@link #isReady()} and {@link Listener#onReady()}.
   */
  public abstract void sendMessage(ReqT message);

  /** No more request messages will be sent. */
  public abstract void halfClose();

  /**
   * Ends the call with {@code CANCELLED}; the server sees the cancellation. If the call has ended but
   * its listener has not heard yet (responses it has not requested hold the close back), delivery
   * stops and the listener hears {@code onClose(CANCELLED)}. A {@code cause} that is an {@link
   * InternalError} while the transport's memory is lost (a hub whose file was truncated: the JVM's error
   * for an access that faulted there) ends the call with the transport's status instead, which says what
   * happened. Safe from any thread.
   */
  public abstract void cancel(String message, Throwable cause);

  /** True if a message sent now would go out at once rather than wait for flow-control credit. */
  public abstract boolean isReady();
}
