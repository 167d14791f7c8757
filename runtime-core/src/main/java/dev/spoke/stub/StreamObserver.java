package dev.spoke.stub;

/**
 * Receives a stream of values: any number of {@link #onNext}, then exactly one of {@link #onError} or
 * {@link #onCompleted}. The same interface as gRPC-java's, so code written against it moves over.
 *
 * <p>Not thread-safe: calls to one observer must not overlap. The framework never calls one observer
 * concurrently.
 *
 * @param <V> the value type
 */
public interface StreamObserver<V> {
  /** Receives the next value of the stream. */
  void onNext(V value);

  /** The stream failed; usually with a {@link dev.spoke.StatusRuntimeException} saying why. */
  void onError(Throwable t);

  /** The stream ended without error; nothing follows. */
  void onCompleted();
}
