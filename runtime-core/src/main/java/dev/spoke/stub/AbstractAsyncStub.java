package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;

/**
 * The base of generated async stubs: unary calls return {@link java.util.concurrent.CompletableFuture}s,
 * streaming calls take and return {@link StreamObserver}s.
 *
 * @param <S> the concrete stub type
 */
public abstract class AbstractAsyncStub<S extends AbstractAsyncStub<S>> extends AbstractStub<S> {
  protected AbstractAsyncStub(Channel channel, CallOptions callOptions) {
    super(channel, callOptions);
  }
}
