package dev.spoke.grpc.internal;

import dev.spoke.CallContext;
import dev.spoke.CallOptions;
import dev.spoke.ClientCall;
import dev.spoke.Deadline;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.internal.ThreadlessExecutor;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Spoke {@link ClientCall} over a gRPC client call: what Spoke's stubs need, carried by gRPC-java.
 *
 * <p>The call's {@link CallOptions} become gRPC's: the deadline (the earlier of its own and that of the
 * server call it is made from, as over the hub), the executor that runs the listener (a blocking stub's
 * own thread included), wait-for-ready and the headers. A call made from a Spoke server call is
 * cancelled with it. Once cancelled, later messages and the half-close are dropped quietly, as over
 * the hub, where gRPC-java would throw.
 *
 * <p>As gRPC's {@code ClientCall}, not thread-safe except {@link #cancel}, which may race anything.
 */
public final class BridgedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final io.grpc.Channel channel;
  private final io.grpc.MethodDescriptor<ReqT, RespT> grpcMethod;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final String target;
  private volatile io.grpc.ClientCall<ReqT, RespT> call;
  private volatile boolean cancelled;
  private volatile String cancelMessage;
  private volatile Throwable cancelCause;
  private CallContext parent;
  private Runnable parentCancellation;

  /**
   * @param target where the call goes, for messages: {@code plugin 'images' at 127.0.0.1:7443}
   */
  public BridgedClientCall(io.grpc.Channel channel, io.grpc.MethodDescriptor<ReqT, RespT> grpcMethod,
      MethodDescriptor<ReqT, RespT> method, CallOptions options, String target) {
    this.channel = channel;
    this.grpcMethod = grpcMethod;
    this.method = method;
    this.options = Objects.requireNonNull(options, "options");
    this.target = target;
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    Objects.requireNonNull(listener, "listener");
    if (call != null) {
      throw new IllegalStateException("call of " + method.getFullMethodName() + " already started");
    }
    io.grpc.Metadata wire = GrpcConversions.toGrpc(options.getHeaders());
    GrpcConversions.putAll(wire, headers);
    CallContext context = CallContext.current();
    Deadline deadline = options.getDeadline();
    if (context != null && context.getDeadline() != null) {
      deadline = context.getDeadline().minimum(deadline);
    }
    io.grpc.CallOptions grpcOptions = io.grpc.CallOptions.DEFAULT;
    if (deadline != null) {
      grpcOptions = grpcOptions.withDeadline(
          io.grpc.Deadline.after(deadline.timeRemaining(TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS));
    }
    if (options.getExecutor() != null) {
      grpcOptions = grpcOptions.withExecutor(options.getExecutor());
      if (options.getExecutor() instanceof ThreadlessExecutor) {
        // A blocking caller: its response takes a network round trip, far longer than it would spin.
        ((ThreadlessExecutor) options.getExecutor()).parkWithoutSpinning();
      }
    }
    if (options.isWaitForReady()) {
      grpcOptions = grpcOptions.withWaitForReady();
    }
    io.grpc.ClientCall<ReqT, RespT> c = channel.newCall(grpcMethod, grpcOptions);
    if (context != null && !BridgedServerCall.propagatedByGrpc(context)) {
      parent = context;
      parentCancellation = () -> cancel("the call that started this one (" + context.getMethodName()
          + ") was cancelled: " + context.getCancellationStatus(), null);
    }
    if (parent != null) {
      // Before the start, so that onClose, whenever it comes, finds it to remove.
      parent.addCancellationListener(parentCancellation, DirectExecutor.INSTANCE);
    }
    c.start(new Outbound(listener), wire);
    call = c;
    if (cancelled) {
      c.cancel(cancelMessage, cancelCause); // cancelled before it started: gRPC refuses that order
    }
  }

  @Override
  public void request(int numMessages) {
    started().request(numMessages);
  }

  @Override
  public void sendMessage(ReqT message) {
    Objects.requireNonNull(message, "message");
    io.grpc.ClientCall<ReqT, RespT> c = started();
    if (cancelled) {
      return;
    }
    try {
      c.sendMessage(message);
    } catch (IllegalStateException e) {
      if (!cancelled) {
        throw e;
      } // a cancel raced this send: dropped
    }
  }

  @Override
  public void halfClose() {
    io.grpc.ClientCall<ReqT, RespT> c = started();
    if (cancelled) {
      return;
    }
    try {
      c.halfClose();
    } catch (IllegalStateException e) {
      if (!cancelled) {
        throw e;
      }
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    String why = message != null ? message : "cancelled by the client";
    cancelMessage = why;
    cancelCause = cause;
    cancelled = true;
    io.grpc.ClientCall<ReqT, RespT> c = call;
    if (c != null) {
      c.cancel(why, cause);
    }
  }

  @Override
  public boolean isReady() {
    io.grpc.ClientCall<ReqT, RespT> c = call;
    return c != null && !cancelled && c.isReady();
  }

  private io.grpc.ClientCall<ReqT, RespT> started() {
    io.grpc.ClientCall<ReqT, RespT> c = call;
    if (c == null) {
      throw new IllegalStateException("call of " + method.getFullMethodName() + " not started");
    }
    return c;
  }

  /** gRPC's events for the call, handed to the Spoke listener. */
  private final class Outbound extends io.grpc.ClientCall.Listener<RespT> {
    private final Listener<RespT> listener;

    Outbound(Listener<RespT> listener) {
      this.listener = listener;
    }

    @Override
    public void onMessage(RespT message) {
      listener.onMessage(message);
    }

    @Override
    public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
      if (parent != null) {
        parent.removeCancellationListener(parentCancellation);
      }
      Metadata spokeTrailers = GrpcConversions.fromGrpc(trailers);
      Consumer<Metadata> trailersListener = options.getTrailersListener();
      if (trailersListener != null) {
        trailersListener.accept(spokeTrailers);
      }
      listener.onClose(GrpcConversions.fromGrpcForClient(status, target), spokeTrailers);
    }

    @Override
    public void onReady() {
      listener.onReady();
    }
  }

  @Override
  public String toString() {
    return "BridgedClientCall{" + method.getFullMethodName() + " to " + target + "}";
  }
}
