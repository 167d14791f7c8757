package dev.spoke.stub;

/**
 * The request side of a client call, returned by streaming stubs and handed to a {@link
 * ClientResponseObserver} before the call starts.
 *
 * @param <ReqT> the request type
 */
public abstract class ClientCallStreamObserver<ReqT> extends CallStreamObserver<ReqT> {

  /** Cancels the call; the server sees the cancellation and the response observer gets onError. */
  public abstract void cancel(String message, Throwable cause);

  /**
   * Like {@link #disableAutoRequest()}, then requests {@code initial} responses. Only valid before the
   * call starts, from {@link ClientResponseObserver#beforeStart}.
   */
  public abstract void disableAutoRequestWithInitial(int initial);
}
