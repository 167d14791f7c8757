package dev.spoke.stub;

import dev.spoke.CallContext;

/**
 * The response side of a server call, as handlers receive it (cast the {@link StreamObserver}).
 *
 * @param <RespT> the response type
 */
public abstract class ServerCallStreamObserver<RespT> extends CallStreamObserver<RespT> {

  /** True once the client cancelled, the deadline passed, or the connection closed. */
  public abstract boolean isCancelled();

  /**
   * Runs {@code handler} (on the call's executor) when the call is cancelled. Once a handler is set,
   * {@code onNext} after cancellation is ignored instead of throwing.
   */
  public abstract void setOnCancelHandler(Runnable handler);

  /** The call's context: deadline, headers, trailers. */
  public abstract CallContext getContext();
}
