package dev.spoke;

import java.util.concurrent.TimeoutException;

/**
 * Helpers that join {@link Context}s and calls, in gRPC-java's shape.
 */
public final class Contexts {

  private Contexts() {}

  /**
   * Starts {@code call} with {@code context} current, and makes it current for every callback of the
   * listener that {@code next} returns: how a {@link ServerInterceptor} hands the handler a context
   * with values of its own (read from a request header, say).
   *
   * <pre>{@code
   * public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
   *     ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
   *   Context context = Context.current().withValue(TRACE_ID, headers.get(TRACE_HEADER));
   *   return Contexts.interceptCall(context, call, headers, next);
   * }
   * }</pre>
   */
  public static <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      Context context, ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Context previous = context.attach();
    try {
      return new ContextualizedListener<>(context, next.startCall(call, headers));
    } finally {
      context.detach(previous);
    }
  }

  /**
   * The status a cancelled context stands for, or null when it is not cancelled: the status of a
   * status exception cause, {@code DEADLINE_EXCEEDED} for a deadline, {@code CANCELLED} otherwise.
   */
  public static Status statusFromCancelled(Context context) {
    if (!context.isCancelled()) {
      return null;
    }
    Throwable cause = context.cancellationCause();
    if (cause == null) {
      return Status.CANCELLED.withDescription("the context was cancelled");
    }
    if (cause instanceof TimeoutException) {
      return Status.DEADLINE_EXCEEDED.withDescription(cause.getMessage()).withCause(cause);
    }
    Status status = Status.fromThrowable(cause);
    if (status.getCode() == Status.Code.UNKNOWN && status.getCause() == cause) {
      return Status.CANCELLED.withDescription("the context was cancelled: " + cause).withCause(cause);
    }
    return status;
  }

  private static final class ContextualizedListener<ReqT> extends ForwardingServerCallListener<ReqT> {
    private final Context context;
    private final ServerCall.Listener<ReqT> delegate;

    ContextualizedListener(Context context, ServerCall.Listener<ReqT> delegate) {
      this.context = context;
      this.delegate = delegate;
    }

    @Override
    protected ServerCall.Listener<ReqT> delegate() {
      return delegate;
    }

    @Override
    public void onMessage(ReqT message) {
      Context previous = context.attach();
      try {
        delegate.onMessage(message);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onHalfClose() {
      Context previous = context.attach();
      try {
        delegate.onHalfClose();
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onCancel() {
      Context previous = context.attach();
      try {
        delegate.onCancel();
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onComplete() {
      Context previous = context.attach();
      try {
        delegate.onComplete();
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onReady() {
      Context previous = context.attach();
      try {
        delegate.onReady();
      } finally {
        context.detach(previous);
      }
    }
  }
}
