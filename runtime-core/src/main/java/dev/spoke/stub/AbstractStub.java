package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientInterceptor;
import dev.spoke.ClientInterceptors;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The base of generated stubs: a channel plus {@link CallOptions}, with {@code withX} methods that
 * return a new stub. Stubs are immutable and thread-safe, cheap to derive per call.
 *
 * @param <S> the concrete stub type
 */
public abstract class AbstractStub<S extends AbstractStub<S>> {
  private final Channel channel;
  private final CallOptions callOptions;

  /** A stub calling over {@code channel} with {@code callOptions}. */
  protected AbstractStub(Channel channel, CallOptions callOptions) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.callOptions = Objects.requireNonNull(callOptions, "callOptions");
  }

  /** Creates a stub of the same type over {@code channel} with {@code callOptions}. */
  protected abstract S build(Channel channel, CallOptions callOptions);

  /** The channel calls go over. */
  public final Channel getChannel() {
    return channel;
  }

  /** The options every call of this stub gets. */
  public final CallOptions getCallOptions() {
    return callOptions;
  }

  /** A stub like this one with {@code options} instead. */
  public final S withCallOptions(CallOptions options) {
    return build(channel, options);
  }

  /** A stub like this one whose calls end at {@code deadline}. */
  public final S withDeadline(Deadline deadline) {
    return build(channel, callOptions.withDeadline(deadline));
  }

  /** Every call of the returned stub has this long from the moment this method is called. */
  public final S withDeadlineAfter(long duration, TimeUnit unit) {
    return build(channel, callOptions.withDeadlineAfter(duration, unit));
  }

  /** Every call of the returned stub has {@code duration} from the moment this method is called. */
  public final S withDeadlineAfter(Duration duration) {
    return withDeadlineAfter(duration.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs the calls' callbacks on {@code executor} instead of the channel's default. */
  public final S withExecutor(Executor executor) {
    return build(channel, callOptions.withExecutor(executor));
  }

  /** See {@link CallOptions#withWaitForReady()}. */
  public final S withWaitForReady() {
    return build(channel, callOptions.withWaitForReady());
  }

  /** Sends {@code key: value} as a request header with every call. */
  public final S withHeader(String key, String value) {
    return build(channel, callOptions.withHeader(key, value));
  }

  /** Sends every entry of {@code headers} with every call. */
  public final S withHeaders(Metadata headers) {
    return build(channel, callOptions.withHeaders(headers));
  }

  /**
   * Makes the calls of the returned stub through {@code interceptors} (the last sees each call first),
   * on top of any the stub's channel has.
   */
  public final S withInterceptors(ClientInterceptor... interceptors) {
    return build(ClientInterceptors.intercept(channel, interceptors), callOptions);
  }

  /** Sets a custom call option, for an interceptor to read. */
  public final <T> S withOption(CallOptions.Key<T> key, T value) {
    return build(channel, callOptions.withOption(key, value));
  }

  /** Hands each call's response trailers to {@code listener}. */
  public final S withTrailersListener(Consumer<Metadata> listener) {
    return build(channel, callOptions.withTrailersListener(listener));
  }
}
