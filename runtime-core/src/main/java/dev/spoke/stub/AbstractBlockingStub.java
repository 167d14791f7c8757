package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;

/**
 * The base of generated blocking stubs: unary calls return the response or throw {@link
 * dev.spoke.StatusRuntimeException}; server-streaming calls return a {@link BlockingResponseStream}.
 *
 * @param <S> the concrete stub type
 */
public abstract class AbstractBlockingStub<S extends AbstractBlockingStub<S>> extends AbstractStub<S> {
  /** A blocking stub calling over {@code channel} with {@code callOptions}. */
  protected AbstractBlockingStub(Channel channel, CallOptions callOptions) {
    super(channel, callOptions);
  }
}
