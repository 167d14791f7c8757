package dev.spoke.grpc.internal;

import dev.spoke.CallContext;
import dev.spoke.CallOptions;
import dev.spoke.ClientCall;
import dev.spoke.Context;
import dev.spoke.Contexts;
import dev.spoke.Deadline;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.internal.ThreadlessExecutor;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A Spoke {@link ClientCall} over a gRPC client call: what Spoke's stubs need, carried by gRPC-java.
 *
 * <p>The call's {@link CallOptions} become gRPC's: the deadline (the earlier of its own and that of the
 * {@link Context} current at start, as over the hub), the executor that runs the listener (a blocking
 * stub's own thread included), wait-for-ready and the headers. A call is cancelled with the context it
 * was started in (a server call's included), and its listener runs with that context current. Once
 * cancelled, later messages and the half-close are dropped quietly, as over the hub, where gRPC-java
 * would throw.
 *
 * <p>Response headers: gRPC-java reports headers before every response, empty ones included; the
 * listener hears {@link Listener#onHeaders} only when they hold an entry, as over the hub, where a
 * server that sends no headers sends nothing. Trailers come with the rich status ({@code
 * grpc-status-details-bin}) in them, for {@code StatusProto}.
 *
 * <p>As gRPC's {@code ClientCall}, not thread-safe except {@link #cancel}, which may race anything.
 */
public final class BridgedClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements Context.CancellationListener {

  private final io.grpc.Channel channel;
  private final io.grpc.MethodDescriptor<ReqT, RespT> grpcMethod;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final String target;
  private volatile io.grpc.ClientCall<ReqT, RespT> call;
  private volatile boolean cancelled;
  private volatile String cancelMessage;
  private volatile Throwable cancelCause;
  /** The context current at start: its cancellation cancels the call; the listener runs with it current. */
  private Context context = Context.ROOT;
  /** True while this call listens to {@link #context}'s cancellation. */
  private boolean watching;

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
    Context current = Context.current();
    // A handler served over gRPC whose gRPC context is current: gRPC itself carries its deadline and
    // cancellation to this call, with gRPC's own statuses; two mechanisms would race each other.
    boolean byGrpc = BridgedServerCall.propagatedByGrpc(current);
    Deadline deadline = options.getDeadline();
    if (!byGrpc && current.getDeadline() != null) {
      deadline = current.getDeadline().minimum(deadline);
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
    context = current;
    if (!byGrpc) {
      // Before the start, so that onClose, whenever it comes, finds it to remove. Runs at once if the
      // context is cancelled already (cancel() then waits for the start, below); a no-op for a context
      // that cannot be cancelled (ROOT, outside any call).
      watching = true;
      current.addListener(this, DirectExecutor.INSTANCE);
    }
    c.start(new Outbound(listener), wire);
    call = c;
    if (cancelled) {
      c.cancel(cancelMessage, cancelCause); // cancelled before it started: gRPC refuses that order
    }
  }

  /** The context current at start was cancelled: so is this call. */
  @Override
  public void cancelled(Context cancelled) {
    String why;
    if (cancelled instanceof CallContext) {
      CallContext parent = (CallContext) cancelled;
      why = "the call that started this one (" + parent.getMethodName() + ") was cancelled: "
          + parent.getCancellationStatus();
    } else {
      Deadline d = cancelled.getDeadline();
      if (d != null && d.isExpired()) {
        // gRPC's own deadline, no later than the context's, ends the call as DEADLINE_EXCEEDED, as a
        // context's deadline ends a call over the hub; a cancel here would race it with CANCELLED.
        return;
      }
      Status status = Contexts.statusFromCancelled(cancelled);
      why = "the context this call was started in was cancelled: " + status;
    }
    cancel(why, cancelled.cancellationCause());
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
    public void onHeaders(io.grpc.Metadata headers) {
      Metadata spokeHeaders = GrpcConversions.fromGrpc(headers);
      if (spokeHeaders.isEmpty()) {
        return; // gRPC's own, or none the server chose to send
      }
      Context previous = context.attach();
      try {
        listener.onHeaders(spokeHeaders);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onMessage(RespT message) {
      Context previous = context.attach();
      try {
        listener.onMessage(message);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onClose(io.grpc.Status status, io.grpc.Metadata trailers) {
      if (watching) {
        context.removeListener(BridgedClientCall.this);
      }
      Metadata spokeTrailers = GrpcConversions.fromGrpcTrailers(trailers);
      Context previous = context.attach();
      try {
        Consumer<Metadata> trailersListener = options.getTrailersListener();
        if (trailersListener != null) {
          trailersListener.accept(spokeTrailers);
        }
        listener.onClose(GrpcConversions.fromGrpcForClient(status, target), spokeTrailers);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onReady() {
      Context previous = context.attach();
      try {
        listener.onReady();
      } finally {
        context.detach(previous);
      }
    }
  }

  @Override
  public String toString() {
    return "BridgedClientCall{" + method.getFullMethodName() + " to " + target + "}";
  }
}
