package dev.spoke.grpc.internal;

import dev.spoke.CallContext;
import dev.spoke.Deadline;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerMethodDefinition;
import dev.spoke.Status;
import io.grpc.Grpc;
import java.net.SocketAddress;
import java.util.Objects;
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
 * as UNKNOWN), its trailers (a rich status included) with it. Cancellation reaches the context at once
 * through gRPC's call context, not only when the serialized {@code onCancel} gets its turn, so that a
 * handler blocked in a nested call is released.
 *
 * <p>Response headers: gRPC sends headers before the first message whatever the handler does, so a
 * handler that sent none still sends an empty set; clients over the bridge hear {@code onHeaders} only
 * for headers that hold something (see {@link BridgedClientCall}).
 *
 * <p>{@link #sendHeaders}, {@link #sendMessage} and {@link #close} take this call's monitor, so they are
 * safe from any thread; {@link #isCancelled()} and {@link #isReady()} are lock-free.
 */
public final class BridgedServerCall<ReqT, RespT> extends ServerCall<ReqT, RespT> {

  private static final Logger log = LoggerFactory.getLogger(BridgedServerCall.class);
  /**
   * How far before the server's deadline a client's reset is still taken for that deadline, at most: a
   * quarter of the call's timeout, up to this.
   */
  private static final long MAX_DEADLINE_SKEW_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final io.grpc.ServerCall<ReqT, RespT> call;
  private final MethodDescriptor<ReqT, RespT> method;
  private final BridgedContext context;
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
    this.context = new BridgedContext(headers, grpcContext);
  }

  /** The gRPC handler that serves {@code definition} with its Spoke handler. */
  public static <ReqT, RespT> io.grpc.ServerCallHandler<ReqT, RespT> handler(ServerMethodDefinition<ReqT, RespT> definition) {
    MethodDescriptor<ReqT, RespT> method = definition.getMethodDescriptor();
    ServerCallHandler<ReqT, RespT> spokeHandler = definition.getServerCallHandler();
    return (call, headers) -> new BridgedServerCall<>(call, method, headers, io.grpc.Context.current()).start(spokeHandler);
  }

  private io.grpc.ServerCall.Listener<ReqT> start(ServerCallHandler<ReqT, RespT> handler) {
    // gRPC runs this at once if its context is cancelled already, so no cancellation is missed.
    context.grpcContext.addListener(context, Runnable::run);
    Metadata headers;
    try {
      headers = context.getHeaders();
    } catch (RuntimeException e) {
      close(Status.INTERNAL.withDescription("the request headers of " + method.getFullMethodName()
          + " could not be read: " + e.getMessage()), null);
      return new io.grpc.ServerCall.Listener<>() {};
    }
    dev.spoke.Context previous = context.attach();
    try {
      listener = Objects.requireNonNull(handler.startCall(this, headers),
          () -> "the handler of " + method.getFullMethodName() + " returned no listener");
    } catch (Throwable t) {
      handlerFailed(t);
      return new io.grpc.ServerCall.Listener<>() {};
    } finally {
      context.detach(previous);
    }
    return new Inbound();
  }

  // ---------------------------------------------------------------------------------------------
  // ServerCall

  @Override
  public void sendHeaders(Metadata headers) {
    Objects.requireNonNull(headers, "headers");
    synchronized (this) {
      if (closeRequested) {
        throw new IllegalStateException("sendHeaders after close on " + method.getFullMethodName());
      }
      if (responseSent) {
        throw new IllegalStateException("sendHeaders after the first message on " + method.getFullMethodName()
            + "; headers go before it");
      }
      if (headersSent) {
        throw new IllegalStateException("sendHeaders called twice on " + method.getFullMethodName());
      }
      int size = encodedSize(headers);
      if (size > Metadata.MAX_ENCODED_BYTES) {
        throw new IllegalArgumentException("response headers of " + method.getFullMethodName() + " take " + size
            + " bytes; the limit is " + Metadata.MAX_ENCODED_BYTES + " (Metadata.MAX_ENCODED_BYTES)");
      }
      io.grpc.Metadata wire = GrpcConversions.toGrpc(headers); // throws on a key gRPC reserves
      headersSent = true;
      if (context.isCancelled()) {
        return; // ignored, as over the hub
      }
      call.sendHeaders(wire);
    }
  }

  /** Roughly what the headers take on the wire: names and values (gRPC adds its own per entry). */
  private static int encodedSize(Metadata headers) {
    int size = 0;
    for (int i = 0; i < headers.size(); i++) {
      size += headers.keyAt(i).length() + headers.bytesAt(i).length;
    }
    return size;
  }

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
      if (context.isCancelled()) {
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
        wire = GrpcConversions.toGrpcTrailers(context.trailers, trailers);
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
    if (context.isCancelled()) {
      return true;
    }
    if (call.isCancelled()) {
      context.cancelFromGrpc(); // gRPC knew first; its context listener is on its way
      return true;
    }
    return false;
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
      dev.spoke.Context previous = context.attach();
      try {
        listener.onMessage(message);
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onHalfClose() {
      dev.spoke.Context previous = context.attach();
      try {
        listener.onHalfClose();
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onCancel() {
      context.cancelFromGrpc();
      dev.spoke.Context previous = context.attach();
      try {
        listener.onCancel();
      } catch (Throwable t) {
        log.error("onCancel of {} threw", method.getFullMethodName(), t);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onComplete() {
      dev.spoke.Context previous = context.attach();
      try {
        listener.onComplete();
      } catch (Throwable t) {
        log.error("onComplete of {} threw", method.getFullMethodName(), t);
      } finally {
        context.detach(previous);
      }
    }

    @Override
    public void onReady() {
      dev.spoke.Context previous = context.attach();
      try {
        listener.onReady();
      } catch (Throwable t) {
        handlerFailed(t);
      } finally {
        context.detach(previous);
      }
    }
  }

  /**
   * The call's context, as Spoke handlers see it. The request headers are converted on first use; the
   * cancellation comes from gRPC's call context, which gRPC cancels at once when the client cancels,
   * the deadline passes or the connection goes (and, with no cause, when the call completes normally,
   * which is no cancellation).
   */
  private final class BridgedContext extends CallContext implements io.grpc.Context.CancellationListener {
    private final io.grpc.Metadata grpcHeaders;
    final io.grpc.Context grpcContext;
    private final Deadline deadline;
    /** See {@link #deadlineAtHand}. */
    private final long deadlineSkewNanos;
    private volatile Metadata headers;
    /** Null until the handler asks for them; the handler's alone. */
    Metadata trailers;

    BridgedContext(io.grpc.Metadata grpcHeaders, io.grpc.Context grpcContext) {
      this.grpcHeaders = grpcHeaders;
      this.grpcContext = grpcContext;
      io.grpc.Deadline d = grpcContext.getDeadline();
      long timeout = d == null ? 0 : d.timeRemaining(TimeUnit.NANOSECONDS);
      this.deadline = d == null ? null : Deadline.after(timeout, TimeUnit.NANOSECONDS);
      this.deadlineSkewNanos = Math.min(MAX_DEADLINE_SKEW_NANOS, Math.max(0, timeout / 4));
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

    /** gRPC cancelled its context: with no cause, the call completed normally. */
    @Override
    public void cancelled(io.grpc.Context ignored) {
      if (grpcContext.cancellationCause() != null) {
        cancelFromGrpc();
      }
    }

    /** Cancels this context with the status that says why gRPC ended the call. */
    void cancelFromGrpc() {
      if (isCancelled()) {
        return;
      }
      Throwable cause = grpcContext.cancellationCause();
      io.grpc.Status grpc = cause == null ? io.grpc.Status.CANCELLED : io.grpc.Status.fromThrowable(cause);
      Status status;
      if (cause instanceof TimeoutException || grpc.getCode() == io.grpc.Status.Code.DEADLINE_EXCEEDED
          || deadlineAtHand()) {
        status = Status.DEADLINE_EXCEEDED.withDescription("the client's deadline passed (" + peer() + ")");
      } else if (grpc.getCode() == io.grpc.Status.Code.CANCELLED) {
        status = Status.CANCELLED.withDescription("cancelled by the client (" + peer() + ")");
      } else {
        status = GrpcConversions.fromGrpc(grpc).augmentDescription("the call from " + peer() + " ended");
      }
      // Listeners run on the executors they were added with; nothing of them runs here first.
      cancel(status, DirectExecutor.INSTANCE);
    }

    /**
     * True if the deadline has passed or is about to. NOTE: a client whose deadline passes resets the
     * stream, and HTTP/2 says only "cancel": the server's own timer, started a network hop later, has
     * not fired yet. A cancel that close to the deadline (a quarter of the timeout, at most 200 ms: room
     * for the hop on a loaded machine) is taken for the deadline, as the client saw it.
     */
    private boolean deadlineAtHand() {
      return deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= deadlineSkewNanos;
    }

    @Override
    public String toString() {
      return "CallContext{" + method.getFullMethodName() + " from " + peer() + " over gRPC}";
    }
  }

  /**
   * True if {@code context} is one of these calls' and gRPC's context of that call is current: calls
   * made through gRPC from here inherit its deadline and cancellation from gRPC itself.
   */
  static boolean propagatedByGrpc(dev.spoke.Context context) {
    return context instanceof BridgedServerCall<?, ?>.BridgedContext
        && ((BridgedServerCall<?, ?>.BridgedContext) context).grpcContext == io.grpc.Context.current();
  }

  @Override
  public String toString() {
    return "BridgedServerCall{" + method.getFullMethodName() + " from " + peer() + "}";
  }
}
