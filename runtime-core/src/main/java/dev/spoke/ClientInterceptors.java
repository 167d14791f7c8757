package dev.spoke;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Wraps channels in {@link ClientInterceptor}s, in gRPC-java's order: with {@code intercept(channel, a,
 * b)}, {@code b} sees each call first and {@code a} last, just before the channel; {@link
 * #interceptForward} is the other way round.
 *
 * <p>Intercepting with no interceptor returns the channel itself: a channel without interceptors pays
 * nothing for them.
 */
public final class ClientInterceptors {

  private ClientInterceptors() {}

  /** {@code channel} with {@code interceptors}; the last one sees each call first. */
  public static Channel intercept(Channel channel, ClientInterceptor... interceptors) {
    return intercept(channel, Arrays.asList(interceptors));
  }

  /** {@code channel} with {@code interceptors}; the last one sees each call first. */
  public static Channel intercept(Channel channel, List<? extends ClientInterceptor> interceptors) {
    Objects.requireNonNull(channel, "channel");
    for (ClientInterceptor interceptor : interceptors) {
      channel = new InterceptorChannel(channel, Objects.requireNonNull(interceptor, "interceptor"));
    }
    return channel;
  }

  /** {@code channel} with {@code interceptors}; the first one sees each call first. */
  public static Channel interceptForward(Channel channel, ClientInterceptor... interceptors) {
    return interceptForward(channel, Arrays.asList(interceptors));
  }

  /** {@code channel} with {@code interceptors}; the first one sees each call first. */
  public static Channel interceptForward(Channel channel, List<? extends ClientInterceptor> interceptors) {
    List<ClientInterceptor> reversed = new ArrayList<>(interceptors);
    Collections.reverse(reversed);
    return intercept(channel, reversed);
  }

  /**
   * A forwarding call whose {@link #checkedStart} may throw: the call then fails with the exception's
   * status instead of starting, and later operations on it are ignored. For interceptors that decide
   * in {@code start} whether a call may go ahead.
   *
   * @param <ReqT> the request message type
   * @param <RespT> the response message type
   */
  public abstract static class CheckedForwardingClientCall<ReqT, RespT> extends ForwardingClientCall<ReqT, RespT> {
    private ClientCall<ReqT, RespT> delegate;

    /** Forwards to {@code delegate}. */
    protected CheckedForwardingClientCall(ClientCall<ReqT, RespT> delegate) {
      this.delegate = delegate;
    }

    /** Starts the call (usually ending with {@code delegate().start(listener, headers)}), or throws. */
    protected abstract void checkedStart(Listener<RespT> responseListener, Metadata headers) throws Exception;

    @Override
    protected final ClientCall<ReqT, RespT> delegate() {
      return delegate;
    }

    @Override
    public final void start(Listener<RespT> responseListener, Metadata headers) {
      try {
        checkedStart(responseListener, headers);
      } catch (Exception e) {
        // The real call was never started: swap in one that does nothing, and end the call here.
        delegate = new FailedClientCall<>(null);
        Metadata trailers = Status.trailersFromThrowable(e);
        responseListener.onClose(Status.fromThrowable(e), trailers != null ? trailers : new Metadata());
      }
    }
  }

  private static final class InterceptorChannel extends Channel {
    private final Channel next;
    private final ClientInterceptor interceptor;

    InterceptorChannel(Channel next, ClientInterceptor interceptor) {
      this.next = next;
      this.interceptor = interceptor;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      try {
        ClientCall<ReqT, RespT> call = Objects.requireNonNull(interceptor.interceptCall(method, options, next),
            () -> "client interceptor " + interceptor.getClass().getName() + " returned no call");
        return new HeadersGivenCall<>(call);
      } catch (RuntimeException | Error e) {
        Status status = Status.fromThrowable(e);
        if (status.getCode() == Status.Code.UNKNOWN && status.getCause() == e) {
          status = status.withDescription("client interceptor " + interceptor.getClass().getName() + " threw: " + e);
        }
        return new FailedClientCall<>(status.asRuntimeException(Status.trailersFromThrowable(e)));
      }
    }

    @Override
    public String authority() {
      return next.authority();
    }

    @Override
    public String toString() {
      return next + " intercepted by " + interceptor.getClass().getName();
    }
  }

  /**
   * Starts its call with a headers object even when the caller passed none (stubs pass none, to save
   * the object when no interceptor wants it): interceptors add to the headers they are given.
   */
  private static final class HeadersGivenCall<ReqT, RespT> extends ForwardingClientCall.SimpleForwardingClientCall<ReqT, RespT> {
    HeadersGivenCall(ClientCall<ReqT, RespT> delegate) {
      super(delegate);
    }

    @Override
    public void start(Listener<RespT> responseListener, Metadata headers) {
      super.start(responseListener, headers != null ? headers : new Metadata());
    }
  }

  /** A call that ends at once, in {@code start}, with a status; everything else is ignored. */
  static final class FailedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final StatusRuntimeException failure;

    /** {@code failure}: how the call ends in {@code start}; null for a call that is already over. */
    FailedClientCall(StatusRuntimeException failure) {
      this.failure = failure;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      if (failure != null) {
        Metadata trailers = failure.getTrailers();
        listener.onClose(failure.getStatus(), trailers != null ? trailers : new Metadata());
      }
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendMessage(ReqT message) {}

    @Override
    public void halfClose() {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public boolean isReady() {
      return false;
    }
  }
}
