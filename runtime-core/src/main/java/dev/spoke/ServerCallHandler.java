package dev.spoke;

/**
 * Starts the server side of a call: given the call and its request headers, returns the listener that
 * receives its events. {@code ServerCalls} builds these from the simpler handler shapes generated
 * services use; a {@link ServerInterceptor} wraps one.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
@FunctionalInterface
public interface ServerCallHandler<ReqT, RespT> {
  /**
   * Starts handling {@code call}. Runs with the call's {@link CallContext} current.
   *
   * @param headers the request headers (also in {@link CallContext#getHeaders()})
   */
  ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call, Metadata headers);
}
