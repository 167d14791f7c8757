package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;

/**
 * The base of generated future stubs, gRPC-java's {@code newFutureStub} shape: unary calls return a
 * {@link java.util.concurrent.CompletableFuture} (gRPC-java's returns a Guava {@code ListenableFuture});
 * streaming calls are on the async stub.
 *
 * @param <S> the concrete stub type
 */
public abstract class AbstractFutureStub<S extends AbstractFutureStub<S>> extends AbstractStub<S> {
  /** A stub calling over {@code channel} with {@code callOptions}. */
  protected AbstractFutureStub(Channel channel, CallOptions callOptions) {
    super(channel, callOptions);
  }
}
