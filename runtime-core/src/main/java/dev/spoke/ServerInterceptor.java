package dev.spoke;

/**
 * Intercepts the calls a server receives, as in gRPC-java: to check credentials, read request headers,
 * send response headers, add trailers, log, measure, or refuse a call. Install with {@link
 * ServerInterceptors#intercept} for one service, or for every service where services are served (a
 * host's builder, a plugin's {@code SpokePeer}, an {@code InProcessServer}).
 *
 * <p>Runs on the service's executor with the call's {@link CallContext} current. An interceptor that
 * throws, from {@code interceptCall} or from a listener it returns, ends that call only, with the
 * exception's status ({@code UNKNOWN} unless it is a status exception). Implementations must be
 * thread-safe.
 */
@FunctionalInterface
public interface ServerInterceptor {
  /**
   * Starts handling {@code call}: usually {@code next.startCall(call, headers)}, with the call wrapped
   * in a {@link ForwardingServerCall} and the listener it returns in a {@link
   * ForwardingServerCallListener}. To refuse the call, close it and return a listener that ignores
   * everything.
   *
   * @param headers the request headers
   */
  <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next);
}
