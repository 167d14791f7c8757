package dev.spoke.internal;

import dev.spoke.CallContext;
import dev.spoke.CallNotRun;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerMethodDefinition;
import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.proto.CallHeaders;
import dev.spoke.proto.CallTrailers;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.RetainedPayload;
import dev.spoke.transport.Transport;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one call over a {@link Connection}.
 *
 * <p>As on the client side, sending state is guarded by the call's monitor, receiving state belongs to
 * the call's serializing executor (the service's executor underneath), and the call ends exactly once
 * ({@code ended} CAS): by the handler's close, the client's cancel, the deadline, or the transport
 * closing. Every listener callback runs with the call's {@link CallContext} current.
 */
final class ServerCallImpl<ReqT, RespT> extends ServerCall<ReqT, RespT>
    implements Connection.PayloadOwner, Runnable, SerializingExecutor.Refusal {

  private static final Logger log = LoggerFactory.getLogger(ServerCallImpl.class);
  /** The request headers of calls that came without any, for handlers that never read them. */
  private static final Metadata NO_HEADERS = new Metadata();
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(ServerCallImpl.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Connection conn;
  private final ServerMethodDefinition<ReqT, RespT> definition;
  private final MethodDescriptor<ReqT, RespT> method;
  private final long callId;
  /**
   * When diagnostics first saw this call ({@link CallInFlight#startedNanos}), 0 before: not stamped at
   * creation, as a clock read is a noticeable part of a short call.
   */
  private volatile long seenNanos;
  private final Executor callExecutor;
  private final Deadline deadline;
  private final CallContextImpl context;
  private final StreamFlow flow = new StreamFlow();
  /** Requests are parsed where they lie ({@link dev.spoke.Marshaller#readsInPlace()}). */
  private final boolean readsInPlace;
  /** Set once, by whichever ends the call first (see the class comment). */
  private volatile boolean ended;
  private DeadlineTask deadlineTask;
  private Listener<ReqT> listener;

  // Receiving: on callExecutor.
  /** The thread running the handler's startCall, which delivers right after: requests need no task. */
  private volatile Thread starting;
  private boolean halfClosePending;
  private boolean halfCloseDelivered;
  /** The call's end was delivered to the handler (onComplete or onCancel). Call executor. */
  private boolean listenerDone;

  // The CALL_START, handed from the receive thread to run() (published by the executor's queue).
  private int startFlags;
  private byte[] startPayload;
  /** The CALL_START's message when it stayed in the transport's buffer (then not in startPayload). */
  private RetainedPayload startMessage;
  private boolean startRun; // the call executor only
  private boolean startMessageQueued; // the call executor only
  /** Requests delivered in place that still hold their buffer: released when the call ends. Call executor. */
  private Object heldRequests;

  // Sending: guarded by this call's monitor.
  private RespT singleResponse;
  private boolean closeRequested;
  /** sendHeaders was called; for single-response methods the headers wait in responseHeaders. */
  private boolean headersSent;
  private Metadata responseHeaders;
  private boolean messageSent;

  @SuppressWarnings("unchecked")
  ServerCallImpl(
      Connection conn,
      ServerMethodDefinition<?, ?> definition,
      long callId,
      long timeoutNanos,
      Executor serviceExecutor) {
    this.conn = conn;
    this.definition = (ServerMethodDefinition<ReqT, RespT>) definition;
    this.method = this.definition.getMethodDescriptor();
    this.readsInPlace = method.getRequestMarshaller().readsInPlace();
    this.callId = callId;
    this.callExecutor = new SerializingExecutor(serviceExecutor, conn.executor(), this);
    this.deadline = timeoutNanos > 0 ? Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS) : null;
    this.context = new CallContextImpl();
  }

  /** This call as diagnostics show it. Any thread. */
  CallInFlight inFlight() {
    if (seenNanos == 0) {
      seenNanos = CallInFlight.stampNow(); // racing stamps are both right
    }
    return new CallInFlight(callId, method, false, seenNanos, deadline == null ? null : deadline.nanoTime());
  }

  // ---------------------------------------------------------------------------------------------
  // Receive thread

  /** True if requests are parsed where they lie, in the transport's buffer ({@link dev.spoke.ZeroCopy}). */
  boolean readsInPlace() {
    return readsInPlace;
  }

  /**
   * The CALL_START. {@code retainedMessage}: its message, still in the transport's buffer ({@code
   * payload} then holds only the metadata before it), or null.
   */
  void onStartFrame(int flags, byte[] payload, RetainedPayload retainedMessage) {
    if ((flags & FrameHeader.FLAG_MESSAGE) != 0) {
      flow.admit(); // the first of the window: always within it
    }
    if (deadline != null) {
      deadlineTask = new DeadlineTask();
      conn.timer().schedule(deadlineTask, deadline.nanoTime());
    }
    startFlags = flags;
    startPayload = payload;
    startMessage = retainedMessage;
    // NOTE: the fields above are published by the executor's queue (a happens-before edge) to run().
    callExecutor.execute(this);
  }

  /**
   * On the call executor, this call is its own task for its first and last events, to save two objects
   * per call: the CALL_START, then (after the close was sent) onComplete.
   */
  @Override
  public void run() {
    dev.spoke.Context previous = context.attach();
    try {
      if (!startRun) {
        startRun = true;
        byte[] payload = startPayload;
        RetainedPayload message = startMessage;
        startPayload = null;
        startMessage = null;
        try {
          start(startFlags, payload, message);
        } finally {
          if (message != null && !startMessageQueued) {
            message.release(); // never queued: the call ended before its handler could take it
          }
        }
      } else {
        try {
          if (listener != null) {
            listener.onComplete();
          }
        } catch (Throwable t) {
          log.error("[{}] onComplete of {} (call {}) threw", conn.localName(), method.getFullMethodName(), callId, t);
        } finally {
          releaseRequests();
        }
      }
    } finally {
      context.detach(previous);
    }
  }

  /**
   * A request: a byte[], or a {@link RetainedPayload}. Returns false if it was not taken (the call had
   * ended); the caller then discards it.
   */
  boolean onRequestFrame(Object bytes, boolean endStream) {
    if (ended) {
      return false;
    }
    if (!flow.admit()) {
      endAbnormally(Status.RESOURCE_EXHAUSTED.withDescription(conn.remoteName() + " sent more requests of "
          + method.getFullMethodName() + " than the flow-control window allows (" + flow.received() + " > "
          + flow.windowLimit() + ")"), true);
      return false;
    }
    callExecutor.execute(() -> inContext(() -> {
      if (ended && listenerDone) {
        StreamFlow.discard(bytes); // the call's end ran already: nothing will deliver or release it
        return;
      }
      flow.add(bytes);
      halfClosePending |= endStream;
      deliver();
    }));
    return true;
  }

  void onHalfCloseFrame() {
    callExecutor.execute(() -> inContext(() -> {
      halfClosePending = true;
      deliver();
    }));
  }

  void onCancelFrame(Status status) {
    String why = status.getCode() == Status.Code.DEADLINE_EXCEEDED
        ? "the client's deadline passed"
        : "cancelled by the client";
    endAbnormally(status.withDescription(why + " (" + conn.remoteName() + ")"), false);
  }

  void onCredits(int credits) {
    if (credits <= 0) {
      log.debug("[{}] call {}: ignored a grant of {} credits", conn.localName(), callId, credits);
      return;
    }
    if (flow.addCredits(credits)) {
      callExecutor.execute(() -> inContext(this::drainPending));
    }
  }

  void onTransportClosed(Status status) {
    endAbnormally(status, false);
  }

  /**
   * The service's executor refused to run this call's events (its queue is full, or it was shut down):
   * the call ends with RESOURCE_EXHAUSTED, and its last events run on the connection's executor (see
   * {@link SerializingExecutor}). Before the handler ran, the client learns that the call did not run,
   * so a retry policy may make it again. A call that had ended already is left as it ended.
   */
  @Override
  public void refused(RuntimeException e) {
    Status status = Status.RESOURCE_EXHAUSTED.withDescription("the executor of " + method.getFullMethodName()
        + " on " + conn.localName() + " refused to run the call: " + e);
    // NOTE: startRun is the call executor's, but a refusal comes only when no run of it is scheduled,
    // after the last one let go of `running`: the CAS that took it again sees what that run wrote.
    if (!endAbnormally(status, true, startRun ? null : CallNotRun.REFUSED)) {
      log.debug("[{}] the executor of {} refused the last events of call {}, which had ended ({})",
          conn.localName(), method.getFullMethodName(), callId, e.toString());
      return;
    }
    long heldBack = conn.refusals.admit();
    if (heldBack >= 0) {
      log.warn("[{}] the executor of {} refused to run call {} ({}); the call ends with RESOURCE_EXHAUSTED{}",
          conn.localName(), method.getFullMethodName(), callId, e, LogThrottle.heldBackNote(heldBack));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Call executor

  private void start(int flags, byte[] payload, RetainedPayload message) {
    int messageAt = 0;
    if ((flags & FrameHeader.FLAG_METADATA) != 0) {
      try {
        context.headers = WireMetadata.toMetadata(
            WireMetadata.readPrefixed(payload, CallHeaders.parser()).getEntriesList());
        messageAt = WireMetadata.prefixedEnd(payload);
      } catch (IOException | RuntimeException e) {
        endAbnormally(Status.INTERNAL.withDescription(
            "malformed request headers for " + method.getFullMethodName() + " from " + conn.remoteName() + ": "
                + e.getMessage()), true);
        return;
      }
    }
    if (ended) {
      return; // cancelled before the handler got to run
    }
    try {
      starting = Thread.currentThread();
      ServerCallHandler<ReqT, RespT> handler = definition.getServerCallHandler();
      Metadata requestHeaders = context.headers != null || !(handler instanceof HeadersUnused)
          ? context.headersForHandler() : NO_HEADERS;
      listener = handler.startCall(this, requestHeaders);
      if (listener == null) {
        throw new NullPointerException("the handler of " + method.getFullMethodName() + " returned no listener");
      }
    } catch (Throwable t) {
      handlerFailed(t);
      return;
    } finally {
      starting = null;
    }
    if ((flags & FrameHeader.FLAG_MESSAGE) != 0) {
      if (message != null) {
        flow.add(message);
        startMessageQueued = true; // the queue releases it from here on
      } else {
        flow.add(payload, messageAt);
      }
    } else if ((flags & FrameHeader.FLAG_END_STREAM) != 0 && method.getType().clientSendsOneMessage()) {
      endAbnormally(Status.INTERNAL.withDescription(
          "the client half-closed " + method.getFullMethodName() + " without sending its request"), true);
      return;
    }
    halfClosePending |= (flags & FrameHeader.FLAG_END_STREAM) != 0;
    if (!method.getType().serverSendsOneMessage()) {
      // A streaming response is ready from the start; say so, as gRPC-java does.
      flow.owesReadyNotice();
      drainPending();
    }
    deliver();
  }

  private void deliver() {
    if (listener == null) {
      return;
    }
    Object next;
    while (!ended && (next = flow.nextToDeliver()) != null) {
      ReqT message;
      try {
        message = StreamFlow.parse(method.getRequestMarshaller(), next);
      } catch (IOException | RuntimeException e) {
        endAbnormally(conn.parseFailure("a request of " + method.getFullMethodName(), e), true);
        return;
      }
      if (next instanceof RetainedPayload && !((RetainedPayload) next).isReleased()) {
        holdUntilEnd(message);
      }
      try {
        listener.onMessage(message);
      } catch (Throwable t) {
        handlerFailed(t);
        return;
      }
      int grant = flow.consumed();
      if (grant > 0 && !halfClosePending) {
        grantCredits(grant);
      }
    }
    if (halfClosePending && !halfCloseDelivered && !flow.hasUndelivered() && !ended) {
      halfCloseDelivered = true;
      try {
        listener.onHalfClose();
      } catch (Throwable t) {
        handlerFailed(t);
      }
    }
  }

  private void grantCredits(int grant) {
    try {
      conn.sendControl(FrameKind.REQUEST_CREDIT, callId, 0, grant, sendDeadline());
    } catch (StatusException e) {
      endAbnormally(e.getStatus(), false);
    }
  }

  private void handlerFailed(Throwable t) {
    Status status = Status.fromThrowable(t);
    if (status.getCode() == Status.Code.UNKNOWN) {
      log.warn("[{}] handler of {} (call {}) threw", conn.localName(), method.getFullMethodName(), callId, t);
    }
    Metadata trailers = Status.trailersFromThrowable(t);
    synchronized (this) {
      closeRequested = true;
      sendClose(status, trailers);
    }
  }

  private void inContext(Runnable task) {
    dev.spoke.Context previous = context.attach();
    try {
      task.run();
    } finally {
      context.detach(previous);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ServerCall API (handler threads)

  @Override
  public void request(int numMessages) {
    if (numMessages <= 0) {
      throw new IllegalArgumentException("numMessages must be positive, got " + numMessages);
    }
    if (flow.request(numMessages) && starting != Thread.currentThread()) {
      callExecutor.execute(() -> inContext(this::deliver));
    }
  }

  @Override
  public void sendMessage(RespT message) {
    Objects.requireNonNull(message, "message");
    synchronized (this) {
      if (closeRequested) {
        throw new IllegalStateException("sendMessage after close on " + method.getFullMethodName());
      }
      if (ended) {
        return; // cancelled: dropped
      }
      messageSent = true;
      if (method.getType().serverSendsOneMessage()) {
        if (singleResponse != null) {
          throw new IllegalStateException(
              method.getFullMethodName() + " returns one response; sendMessage was called twice");
        }
        singleResponse = message;
        return;
      }
      if (!flow.hasQueued() && flow.takeCredit()) {
        sendResponse(message);
      } else {
        flow.enqueue(message);
      }
    }
  }

  @Override
  public void sendHeaders(Metadata headers) {
    Objects.requireNonNull(headers, "headers");
    synchronized (this) {
      if (closeRequested) {
        throw new IllegalStateException("sendHeaders after close on " + method.getFullMethodName());
      }
      if (headersSent) {
        throw new IllegalStateException("sendHeaders called twice on " + method.getFullMethodName()
            + "; response headers go out once");
      }
      if (messageSent) {
        throw new IllegalStateException("sendHeaders after the first message on " + method.getFullMethodName()
            + "; headers go before any message");
      }
      CallHeaders wire;
      try {
        wire = WireMetadata.headers(headers, "response headers of " + method.getFullMethodName());
      } catch (StatusException e) {
        throw new IllegalArgumentException(e.getStatus().getDescription(), e);
      }
      headersSent = true;
      if (ended) {
        return; // cancelled: dropped
      }
      if (method.getType().serverSendsOneMessage()) {
        responseHeaders = headers; // they travel with the response, in the CLOSE
        return;
      }
      try {
        OutboundFrame f = conn.write(wire, null, null, sendDeadline(), this);
        f.header().clear().kind(FrameKind.HEADERS).flags(wire != null ? FrameHeader.FLAG_METADATA : 0).callId(callId);
        f.commit();
      } catch (StatusException e) {
        endAbnormally(e.getStatus(), true);
      }
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
      if (ended) {
        return;
      }
      if (flow.hasQueued()) {
        flow.enqueue(new CloseItem(status, trailers));
      } else {
        sendClose(status, trailers);
      }
    }
  }

  @Override
  public boolean isCancelled() {
    return context.isCancelled();
  }

  @Override
  public boolean isReady() {
    return !ended && flow.isReady();
  }

  @Override
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return method;
  }

  @Override
  public CallContext getContext() {
    return context;
  }

  // ---------------------------------------------------------------------------------------------
  // Sending (under this call's monitor)

  private void sendResponse(RespT message) {
    try {
      OutboundFrame f = conn.write(null, method.getResponseMarshaller(), message, sendDeadline(), this);
      f.header().clear().kind(FrameKind.RESPONSE_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(callId);
      f.commit();
    } catch (StatusException e) {
      endAbnormally(e.getStatus(), true);
    }
  }

  private void sendClose(Status status, Metadata trailers) {
    if (!endOnce()) {
      return; // cancelled meanwhile
    }
    RespT message = null;
    if (method.getType().serverSendsOneMessage() && status.isOk()) {
      if (singleResponse == null) {
        status = Status.INTERNAL.withDescription(
            "the handler of " + method.getFullMethodName() + " completed without sending a response");
      } else {
        message = singleResponse;
      }
    }
    singleResponse = null;
    Metadata all = context.trailers; // null when the handler never touched them
    if (trailers != null && !trailers.isEmpty()) {
      all = new Metadata().merge(context.trailers).merge(trailers);
    }
    Metadata headers = responseHeaders;
    boolean withHeaders = headersSent && method.getType().serverSendsOneMessage();
    responseHeaders = null;
    try {
      writeClose(status, all, message, withHeaders, headers);
    } catch (StatusException e) {
      // The close as built could not go (the response is larger than any slot, or the trailers larger
      // than the metadata limit): tell the client why instead, without the message and the metadata.
      Status fallback = e.getStatus();
      if (fallback.getCode() == Status.Code.INVALID_ARGUMENT) {
        fallback = Status.INTERNAL.withDescription("the server could not send the end of " + method.getFullMethodName()
            + " (" + status.getCode() + "): " + fallback.getDescription());
      }
      if (fallback.getCode() != Status.Code.UNAVAILABLE) {
        log.warn("[{}] could not close call {} ({}) as the handler asked: {}", conn.localName(), callId,
            method.getFullMethodName(), e.getStatus().getDescription());
      }
      try {
        writeClose(fallback, null, null, false, null);
      } catch (StatusException again) {
        log.debug("[{}] could not close call {}: {}", conn.localName(), callId, again.getStatus());
      }
    }
    finish();
    callExecutor.execute(this); // onComplete (see run())
  }

  /**
   * Writes the CLOSE. {@code withHeaders}: the response headers travel in it (set even when they are
   * empty, so the client hears that headers came).
   */
  private void writeClose(Status status, Metadata trailers, RespT message, boolean withHeaders, Metadata headers)
      throws StatusException {
    CallTrailers wireTrailers = WireMetadata.trailers(status, trailers, withHeaders ? headers : null);
    OutboundFrame f =
        conn.write(wireTrailers, method.getResponseMarshaller(), message, sendDeadline(), this);
    int flags = (wireTrailers != null ? FrameHeader.FLAG_METADATA : 0) | (message != null ? FrameHeader.FLAG_MESSAGE : 0)
        | (withHeaders ? FrameHeader.FLAG_HEADERS : 0);
    f.header().clear().kind(FrameKind.CLOSE).flags(flags).callId(callId).status(status.getCode().value());
    f.commit();
  }

  private void drainPending() {
    synchronized (this) {
      Object next;
      while (!ended && (next = flow.peekQueued()) != null) {
        if (next instanceof CloseItem) {
          flow.dropQueued();
          CloseItem close = (CloseItem) next;
          sendClose(close.status, close.trailers);
        } else if (flow.takeCredit()) {
          flow.dropQueued();
          @SuppressWarnings("unchecked")
          RespT message = (RespT) next;
          sendResponse(message);
        } else {
          break;
        }
      }
      if (ended) {
        flow.clearQueued();
      }
    }
    if (listener != null && !ended && flow.takeReadyNotice()) {
      try {
        listener.onReady();
      } catch (Throwable t) {
        handlerFailed(t);
      }
    }
  }

  /**
   * A server call's frames never wait for room: they queue in the transport, in order, and go out as
   * soon as the client reads (the transport bounds the queue). So a client that stops reading — or
   * floods the server with calls and reads their answers slowly — never ties up the server's handler
   * threads; the flow-control window bounds what one call can queue.
   */
  private long sendDeadline() {
    return Transport.NO_WAIT;
  }

  @Override
  public String describePayload() {
    return "response of " + method.getFullMethodName() + " (call " + callId + ")";
  }

  // ---------------------------------------------------------------------------------------------
  // Ending

  /**
   * Ends the call without the handler's close: cancelled by the client, the deadline, the transport,
   * or a failure. Tells the client with a CLOSE when {@code tellClient}.
   */
  void endAbnormally(Status status, boolean tellClient) {
    endAbnormally(status, tellClient, null);
  }

  /** As {@link #endAbnormally(Status, boolean)}; {@code notRun}: the {@link CallNotRun} mark the close carries, or null. */
  private boolean endAbnormally(Status status, boolean tellClient, String notRun) {
    if (!endOnce()) {
      return false;
    }
    finish();
    context.cancelWith(status);
    if (tellClient) {
      Runnable close = () -> {
        try {
          writeClose(status, notRun == null ? null : CallNotRun.mark(new Metadata(), notRun), null, false, null);
        } catch (StatusException e) {
          log.debug("[{}] could not send CLOSE({}) for call {}: {}", conn.localName(), status.getCode(), callId,
              e.getStatus());
        }
      };
      // Off the current thread: this may be the receive thread or the timer, and writing the trailers is
      // work best done elsewhere; here if the executor refuses (a server's send never waits).
      conn.executorOrHere.execute(close);
    }
    callExecutor.execute(() -> inContext(() -> {
      flow.clearInbound();
      try {
        if (listener != null) {
          listener.onCancel();
        }
      } catch (Throwable t) {
        log.error("[{}] onCancel of {} (call {}) threw", conn.localName(), method.getFullMethodName(), callId, t);
      } finally {
        releaseRequests();
      }
    }));
    return true;
  }

  /**
   * Call executor: a request delivered in place holds its buffer until the call ends, or its release.
   * Requests released meanwhile are forgotten here, so a long stream whose handler releases as it goes
   * keeps a short list.
   */
  private void holdUntilEnd(Object request) {
    if (heldRequests == null) {
      heldRequests = request;
      return;
    }
    if (!(heldRequests instanceof HeldList)) {
      HeldList list = new HeldList();
      list.add(heldRequests);
      heldRequests = list;
    }
    HeldList list = (HeldList) heldRequests;
    if (list.size() >= 8) {
      list.removeIf(m -> !HeldMessages.isHeld(m));
    }
    list.add(request);
  }

  /**
   * Call executor, once the call's end was delivered (onComplete or onCancel): releases what the
   * requests still hold, unless the handler kept them ({@code ZeroCopy.keep}), and any request that came
   * too late to be delivered.
   */
  private void releaseRequests() {
    listenerDone = true;
    flow.clearInbound();
    Object held = heldRequests;
    heldRequests = null;
    if (held instanceof HeldList) {
      for (Object m : (HeldList) held) {
        HeldMessages.releaseUnlessKept(m);
      }
    } else if (held != null) {
      HeldMessages.releaseUnlessKept(held);
    }
  }

  /** Requests of one call that hold buffers, when there is more than one (streaming). */
  private static final class HeldList extends java.util.ArrayList<Object> {
    private static final long serialVersionUID = 1L;
  }

  /** True for the one caller that ends the call. */
  private boolean endOnce() {
    return ENDED.compareAndSet(this, false, true);
  }

  private void finish() {
    conn.serverCalls.remove(callId, this);
    if (deadlineTask != null) {
      deadlineTask.cancel();
    }
    conn.serverCallEnded();
    conn.callEnded();
  }

  private static final class CloseItem {
    final Status status;
    final Metadata trailers;

    CloseItem(Status status, Metadata trailers) {
      this.status = status;
      this.trailers = trailers;
    }
  }

  private final class DeadlineTask extends DeadlineTimer.Task {
    @Override
    protected void expire() {
      endAbnormally(Status.DEADLINE_EXCEEDED.withDescription(
          "the deadline of " + method.getFullMethodName() + " passed while " + conn.localName() + " was serving it"),
          true);
    }
  }

  /** The connection a server call's context belongs to, or null if it is not one of ours. */
  static Connection connectionOf(CallContext context) {
    return context instanceof ServerCallImpl<?, ?>.CallContextImpl ? ((ServerCallImpl<?, ?>.CallContextImpl) context).connection() : null;
  }

  /** The call's context, as handlers see it. */
  private final class CallContextImpl extends CallContext {
    /** Null until the CALL_START's headers are read: most calls have none. */
    volatile Metadata headers;
    /** Null until the handler asks for them. */
    Metadata trailers;

    Connection connection() {
      return conn;
    }

    /** The headers for the handler's startCall: the ones that came, or an empty set it may add to. */
    Metadata headersForHandler() {
      Metadata h = headers;
      if (h == null) {
        headers = h = new Metadata();
      }
      return h;
    }

    void cancelWith(Status status) {
      // Listeners run on the caller's thread only if the connection's executor refuses them: it may be
      // the receive thread.
      cancel(status, conn.executorOrHere);
    }

    @Override
    public String getMethodName() {
      return method.getFullMethodName();
    }

    @Override
    public String getPeer() {
      return conn.remoteName();
    }

    @Override
    public Deadline getDeadline() {
      return deadline;
    }

    @Override
    public Metadata getHeaders() {
      Metadata h = headers;
      return h != null ? h : new Metadata();
    }

    @Override
    public Metadata getTrailers() {
      if (trailers == null) {
        trailers = new Metadata();
      }
      return trailers;
    }

    @Override
    public String toString() {
      return "CallContext{" + method.getFullMethodName() + " from " + conn.remoteName()
          + (isCancelled() ? ", cancelled: " + getCancellationStatus() : "") + "}";
    }
  }

  @Override
  public String toString() {
    return "ServerCall{" + method.getFullMethodName() + ", id " + callId + ", ended=" + ended + "}";
  }
}
