package dev.spoke.grpc.internal;

import dev.spoke.CallContext;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerMethodDefinition;
import dev.spoke.Status;
import io.grpc.Grpc;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Spoke {@link ServerCall} over a gRPC server call: what a Spoke handler needs, served by gRPC-java.
 *
 * <p>gRPC delivers the call's events one at a time on its call executor; each is handed to the Spoke
 * listener with the call's {@link CallContext} current, as Spoke's own transports do. A handler that
 * throws ends its call with the status the exception stands for (gRPC-java alone would cancel the call
 * as UNKNOWN). Cancellation reaches the context at once through gRPC's call context, not only when the
 * serialized {@code onCancel} gets its turn, so that a handler blocked in a nested call is released.
 *
 * <p>{@link #sendMessage} and {@link #close} take this call's monitor, so they are safe from any thread;
 * {@link #isCancelled()} and {@link #isReady()} are lock-free.
 */
public final class BridgedServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {

  private static final Logger log = LoggerFactory.getLogger(BridgedServerCall.class);

  private final io.grpc.ServerCall<ReqT, RespT> call;
  private final MethodDescriptor<ReqT, RespT> method;
  private final Context context;
  /** Set by {@link #start} on the call executor, read there by every later event. */
  private Listener<ReqT> listener;

  // Guarded by this.
  private boolean headersSent;
  private boolean closeRequested;
  private boolean responseSent;

  private BridgedServerCall(io.grpc.ServerCall<ReqT, RespT> call, MethodDescriptor<ReqT, RespT> method,
      io.grpc.Metadata headers, io.grpc.Context grpcContext) {
    this.call = call;
    this.method = method;
    this.context = new Context(headers, grpcContext);
  }

  /** The gRPC handler that serves {@code definition} with its Spoke handler. */
  public static <ReqT, RespT> io.grpc.ServerCallHandler<ReqT, RespT> handler(ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    ServerCallHandler<ReqT, RespT> spokeHandler = definition.getServerCallHandler();
    return (call, headers) -> new BridgedServerCall<>(call, method, headers, io.grpc.Context.current()).start(spokeHandler);
  }

  private io.grpc.ServerCall.Listener<ReqT> start(ServerCallHandler<ReqT, RespT> handler) {
    CallContext previous = CallContext.attach(context);
    try {
      listener = Objects.requireNonNull(handler.startCall(this),
          () -> "the handler of " + method.getFullMethodName() + " returned no listener");
    } catch (Throwable t) {
      handlerFailed(t);
      return new io.grpc.ServerCall.Listener<>() {};
    } finally {
      CallContext.attach(previous);
    }
    return new Inbound();
  }

  // ---------------------------------------------------------------------------------------------
  // ServerCall

  @Override
  public void request(int numMessages) {
    if (numMessages <= 0) {
      throw new IllegalArgumentException("numMessages must be positive, got " + numMessages);
    }
    call.request(numMessages);
  }

  @Override
  public void sendMessage(RespT message) {
    Objects.requireNonNull(message, "message");
    synchronized (this) {
      if (closeRequested) {
        throw new IllegalStateException("sendMessage after close on " + method.getFullMethodName());
      }
      if (context.cancellation != null) {
        return; // cancelled: dropped, as over the hub
      }
      if (responseSent && method.getType().serverSendsOneMessage()) {
        throw new IllegalStateException(method.getFullMethodName() + " returns one response; sendMessage was called twice");
      }
      responseSent = true;
      sendHeadersOnce();
      call.sendMessage(message);
    }
  }

  @Override
  public void close(Status status, Metadata trailers) {
    Objects.requireNonNull(status, "status");
    synchronized (this) {
      if (closeRequested) {
        return;
      }
      closeRequested = true;
      if (status.isOk() && !responseSent && method.getType().serverSendsOneMessage()) {
        status = Status.INTERNAL.withDescription(
            "the handler of " + method.getFullMethodName() + " completed without sending a response");
      }
      io.grpc.Metadata wire;
      try {
        wire = GrpcConversions.toGrpc(context.trailers);
        GrpcConversions.putAll(wire, trailers);
      } catch (IllegalArgumentException e) {
        status = Status.INTERNAL.withDescription("the trailers of " + method.getFullMethodName()
            + " could not be sent: " + e.getMessage());
        wire = new io.grpc.Metadata();
      }
      try {
        call.close(GrpcConversions.toGrpc(status), wire);
      } catch (IllegalStateException e) {
        log.debug("closing {} after gRPC ended it: {}", method.getFullMethodName(), e.getMessage());
      }
    }
  }

  @Override
  public boolean isCancelled() {
    return context.isCancelled();
  }

  @Override
  public boolean isReady() {
    return call.isReady();
  }

  @Override
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return method;
  }

  @Override
  public CallContext getContext() {
    return context;
  }

  /** Under this call's monitor: gRPC wants headers before the first message. */
  private void sendHeadersOnce() {
    if (!headersSent) {
      headersSent = true;
      call.sendHeaders(new io.grpc.Metadata());
    }
  }

  /** A handler callback threw: the call ends with the status the throwable stands for. */
  private void handlerFailed(Throwable t) {
    Status status = Status.fromThrowable(t);
    if (status.getCode() == Status.Code.UNKNOWN) {
      log.warn("handler of {} threw", method.getFullMethodName(), t);
    }
    close(status, Status.trailersFromThrowable(t));
  }

  private String peer() {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String text = remote == null ? "an unknown client" : remote.toString();
    return text.startsWith("/") ? text.substring(1) : text;
  }

  // ---------------------------------------------------------------------------------------------

  /** gRPC's events for the call, handed to the Spoke listener with the context current. */
  private final class Inbound extends io.grpc.ServerCall.Listener<ReqT> {
    @Override
    public void onMessage(ReqT message) {
      CallContext previous = CallContext.attach(context);
      try {
        listener.onMessage(message);
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        CallContext.attach(previous);
      }
    }

    @Override
    public void onHalfClose() {
      CallContext previous = CallContext.attach(context);
      try {
        listener.onHalfClose();
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        CallContext.attach(previous);
      }
    }

    @Override
    public void onCancel() {
      context.cancelFromGrpc();
      CallContext previous = CallContext.attach(context);
      try {
        listener.onCancel();
      } catch (Throwable t) {
        log.error("onCancel of {} threw", method.getFullMethodName(), t);
      } finally {
        CallContext.attach(previous);
      }
    }

    @Override
    public void onComplete() {
      CallContext previous = CallContext.attach(context);
      try {
        listener.onComplete();
      } catch (Throwable t) {
        log.error("onComplete of {} threw", method.getFullMethodName(), t);
      } finally {
        CallContext.attach(previous);
      }
    }

    @Override
    public void onReady() {
      CallContext previous = CallContext.attach(context);
      try {
        listener.onReady();
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        CallContext.attach(previous);
      }
    }
  }

  /**
   * The call's context, as Spoke handlers see it. The request headers are converted on first use; the
   * cancellation comes from gRPC's call context, which gRPC cancels at once when the client cancels,
   * the deadline passes or the connection goes (and, with no cause, when the call completes normally,
   * which is no cancellation).
   */
  private final class Context extends CallContext implements io.grpc.Context.CancellationListener {
    private final io.grpc.Metadata grpcHeaders;
    private final io.grpc.Context grpcContext;
    private final Deadline deadline;
    private volatile Metadata headers;
    /** Null until the handler asks for them; the handler's alone. */
    Metadata trailers;
    volatile Status cancellation;
    /** Each listener to its executor, or to a list of them if added more than once; guarded by this. */
    private IdentityHashMap<Runnable, Object> listeners;
    private boolean watching;

    Context(io.grpc.Metadata grpcHeaders, io.grpc.Context grpcContext) {
      this.grpcHeaders = grpcHeaders;
      this.grpcContext = grpcContext;
      io.grpc.Deadline d = grpcContext.getDeadline();
      this.deadline = d == null ? null : Deadline.after(d.timeRemaining(TimeUnit.NANOSECONDS), TimeUnit.NANOSECONDS);
    }

    @Override
    public String getMethodName() {
      return method.getFullMethodName();
    }

    @Override
    public String getPeer() {
      return peer();
    }

    @Override
    public Deadline getDeadline() {
      return deadline;
    }

    @Override
    public Metadata getHeaders() {
      Metadata h = headers;
      if (h == null) {
        headers = h = GrpcConversions.fromGrpc(grpcHeaders);
      }
      return h;
    }

    @Override
    public Metadata getTrailers() {
      if (trailers == null) {
        trailers = new Metadata();
      }
      return trailers;
    }

    @Override
    public boolean isCancelled() {
      if (cancellation != null) {
        return true;
      }
      if (grpcContext.isCancelled() && grpcContext.cancellationCause() != null) {
        cancelFromGrpc();
        return true;
      }
      return call.isCancelled();
    }

    @Override
    public Status getCancellationStatus() {
      isCancelled();
      return cancellation;
    }

    @Override
    public void addCancellationListener(Runnable l, Executor executor) {
      Objects.requireNonNull(l, "listener");
      Objects.requireNonNull(executor, "executor");
      boolean watch = false;
      boolean added = false;
      synchronized (this) {
        if (cancellation == null) {
          if (listeners == null) {
            listeners = new IdentityHashMap<>(4);
          }
          Object previous = listeners.putIfAbsent(l, executor);
          if (previous != null) {
            List<Executor> several;
            if (previous instanceof Executor) {
              several = new ArrayList<>(2);
              several.add((Executor) previous);
              listeners.put(l, several);
            } else {
              @SuppressWarnings("unchecked")
              List<Executor> list = (List<Executor>) previous;
              several = list;
            }
            several.add(executor);
          }
          watch = !watching;
          watching = true;
          added = true; // NOTE: under the lock while not cancelled, so cancel() will run it
        }
      }
      if (!added) {
        run(l, executor); // already cancelled
        return;
      }
      if (watch) {
        // gRPC runs this at once if its context is already cancelled, so nothing is missed.
        grpcContext.addListener(this, Runnable::run);
      }
    }

    @Override
    public void removeCancellationListener(Runnable l) {
      synchronized (this) {
        if (listeners != null) {
          listeners.remove(l);
        }
      }
    }

    /** gRPC cancelled its context: with no cause, the call completed normally. */
    @Override
    public void cancelled(io.grpc.Context ignored) {
      if (grpcContext.cancellationCause() != null) {
        cancelFromGrpc();
      }
    }

    /** Cancels this context with the status that says why gRPC ended the call. */
    void cancelFromGrpc() {
      if (cancellation != null) {
        return;
      }
      Throwable cause = grpcContext.cancellationCause();
      io.grpc.Status grpc = cause == null ? io.grpc.Status.CANCELLED : io.grpc.Status.fromThrowable(cause);
      Status status;
      if (cause instanceof TimeoutException || grpc.getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED
          || (deadline != null && deadline.isExpired())) {
        status = Status.DEADLINE_EXCEEDED.withDescription("the client's deadline passed (" + peer() + ")");
      } else if (grpc.getCode() == io.grpc.Status.Code.CANCELLED) {
        status = Status.CANCELLED.withDescription("cancelled by the client (" + peer() + ")");
      } else {
        status = GrpcConversions.fromGrpc(grpc).augmentDescription("the call from " + peer() + " ended");
      }
      cancel(status);
    }

    private void cancel(Status status) {
      IdentityHashMap<Runnable, Object> toRun;
      synchronized (this) {
        if (cancellation != null) {
          return;
        }
        cancellation = status;
        toRun = listeners;
        listeners = null;
      }
      if (toRun != null) {
        toRun.forEach((l, executors) -> {
          if (executors instanceof Executor) {
            run(l, (Executor) executors);
          } else {
            @SuppressWarnings("unchecked")
            List<Executor> list = (List<Executor>) executors;
            list.forEach(e -> run(l, e));
          }
        });
      }
    }

    private void run(Runnable l, Executor executor) {
      try {
        executor.execute(l);
      } catch (Throwable t) {
        log.error("a cancellation listener of {} threw", method.getFullMethodName(), t);
      }
    }

    /** The gRPC context this one stands for. */
    io.grpc.Context grpcContext() {
      return grpcContext;
    }
  }

  /**
   * True if {@code context} is one of these calls' and gRPC's context of that call is current: calls
   * made through gRPC from here inherit its deadline and cancellation from gRPC itself.
   */
  static boolean propagatedByGrpc(CallContext context) {
    return context instanceof BridgedServerCall<?, ?>.Context
        && ((BridgedServerCall<?, ?>.Context) context).grpcContext() == io.grpc.Context.current();
  }

  @Override
  public String toString() {
    return "BridgedServerCall{" + method.getFullMethodName() + " from " + peer() + "}";
  }
}
