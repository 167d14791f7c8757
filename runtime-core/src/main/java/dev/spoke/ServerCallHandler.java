package dev.spoke;

/**
 * Starts the server side of a call: given the call, returns the listener that receives its events.
 * {@code ServerCalls} builds these from the simpler handler shapes generated services use.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
@FunctionalInterface
public interface ServerCallHandler<ReqT, RespT> {
  ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call);
}
