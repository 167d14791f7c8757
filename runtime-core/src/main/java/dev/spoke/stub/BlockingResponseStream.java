package dev.spoke.stub;

import java.util.Iterator;

/**
 * The responses of a blocking server-streaming call. {@link #hasNext()} waits for the next response
 * (up to the call's deadline) and throws {@link dev.spoke.StatusRuntimeException} if the call failed.
 * {@link #close()} cancels the call if it has not finished, so use it in try-with-resources when you may
 * stop reading early.
 *
 * <p>Not thread-safe: one thread iterates.
 *
 * @param <T> the response type
 */
public interface BlockingResponseStream<T> extends Iterator<T>, AutoCloseable {
  /** Cancels the call unless it already finished. Idempotent. */
  @Override
  void close();
}
