package dev.spoke.stub;

/**
 * A response observer that gets the request side of its call before the call starts, to control flow
 * or cancel.
 *
 * @param <ReqT> the request type
 * @param <RespT> the response type
 */
public interface ClientResponseObserver<ReqT, RespT> extends StreamObserver<RespT> {
  /** Called before the call starts, with the stream of requests: for flow control and cancellation. */
  void beforeStart(ClientCallStreamObserver<ReqT> requestStream);
}
