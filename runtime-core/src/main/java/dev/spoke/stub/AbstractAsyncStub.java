package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;

/**
 * The base of generated async stubs: unary calls take a {@link StreamObserver} for the response (as in
 * gRPC-java) or return a {@link java.util.concurrent.CompletableFuture}; streaming calls take and return
 * {@link StreamObserver}s.
 *
 * @param <S> the concrete stub type
 */
public abstract class AbstractAsyncStub<S extends AbstractAsyncStub<S>> extends AbstractStub<S> {
  /** An async stub calling over {@code channel} with {@code callOptions}. */
  protected AbstractAsyncStub(Channel channel, CallOptions callOptions) {
    super(channel, callOptions);
  }
}
