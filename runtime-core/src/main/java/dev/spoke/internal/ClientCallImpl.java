package dev.spoke.internal;

import dev.spoke.CallContext;
import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.ClientCall;
import dev.spoke.Context;
import dev.spoke.Contexts;
import dev.spoke.Deadline;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
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
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one call over a {@link Connection}.
 *
 * <p>State is split by thread. Sending state is guarded by the call's monitor (the application's
 * threads). Receiving state belongs to the call's serializing executor: the receive thread only copies
 * payloads and enqueues events there. The call ends exactly once, by whichever comes first of the
 * server's CLOSE, a local cancel, the deadline, or the transport closing ({@code ended} CAS); the
 * listener hears {@code onClose} exactly once, on the executor, with the {@link Context} current that was
 * current when the call started.
 *
 * <p>Whether the call may have run: {@code startAttempted} is set before the CALL_START is claimed and
 * {@code ended} is re-read after it; an ending reads {@code startAttempted} after its CAS of {@code
 * ended}. So an ending that reads false knows the CALL_START never went and never will: it marks the
 * call {@link CallNotRun not run}.
 */
final class ClientCallImpl<ReqT, RespT> extends ClientCall<ReqT, RespT>
    implements Connection.PayloadOwner, ThreadlessExecutor.Droppable, Context.CancellationListener,
    SerializingExecutor.Refusal {

  private static final Logger log = LoggerFactory.getLogger(ClientCallImpl.class);
  private static final Object HALF_CLOSE = new Object();
  private static final VarHandle ENDED;

  static {
    try {
      ENDED = MethodHandles.lookup().findVarHandle(ClientCallImpl.class, "ended", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Connection conn;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final Executor callExecutor;
  private final long callId;
  /**
   * When diagnostics first saw this call ({@link CallInFlight#startedNanos}), 0 before: not stamped at
   * creation, as a clock read is a noticeable part of a short call.
   */
  private volatile long seenNanos;
  private final StreamFlow flow = new StreamFlow();
  /** Set once, by whichever ends the call first (see the class comment). */
  private volatile boolean ended;

  private Listener<RespT> listener;
  private Deadline deadline;
  private Metadata headers;
  /** The context current at start: it cancels the call, and the listener runs with it current. */
  private Context context = Context.ROOT;
  private DeadlineTask deadlineTask;

  // Sending: guarded by this call's monitor.
  private ReqT singleRequest;
  private volatile boolean startSent;
  /** Set before the CALL_START is claimed (see the class comment). */
  private volatile boolean startAttempted;
  private boolean halfClosed;
  /**
   * True while this call's thread sends (serializes, waits for room, publishes). Its waits are bounded
   * by the same deadline and end with the precise reason (such as an exhausted pool naming the class),
   * so an expiring deadline leaves the ending to the sender then (see DeadlineTask).
   */
  private volatile boolean sending;
  private volatile boolean expiredWhileSending;
  /** A cancel that found the CALL_START not yet marked sent; see {@link #sendCancel}. */
  private volatile Status cancelToSend;

  // Receiving: on callExecutor.
  /** The server's CLOSE, handed from the receive thread to run() (published by the executor's queue). */
  private int closeStatusCode;
  private int closeFlags;
  private byte[] closePayload;
  /** The CLOSE's message when it stayed in the transport's buffer; handed over like closePayload. */
  private RetainedPayload closeMessage;
  /** Call executor: the CLOSE's retained message went to the inbound queue (which releases it now). */
  private boolean queuedCloseMessage;
  /** Responses are parsed where they lie ({@link dev.spoke.Marshaller#readsInPlace()}). */
  private final boolean readsInPlace;
  private Status serverStatus;
  private Metadata serverTrailers;
  private boolean listenerClosed;
  private boolean headersDelivered;
  private boolean messageArrived;

  ClientCallImpl(Connection conn, MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    this.conn = conn;
    this.method = Objects.requireNonNull(method, "method");
    this.options = Objects.requireNonNull(options, "options");
    Executor e = options.getExecutor() != null ? options.getExecutor() : conn.executor();
    if (e instanceof ThreadlessExecutor) {
      // A blocking caller: its thread drains the call's events, and may receive its response itself.
      ((ThreadlessExecutor) e).receiveWith(conn.callerReceiver, conn.callerReceiveEnd, conn.callerParks,
          conn.callerFaultExplained);
      this.callExecutor = e;
    } else {
      this.callExecutor = new SerializingExecutor(e, conn.executor(), this);
    }
    this.callId = conn.nextCallId();
    this.readsInPlace = method.getResponseMarshaller().readsInPlace();
  }

  /**
   * This call as diagnostics show it. Any thread.
   * NOTE: reads the deadline without synchronization: a snapshot may miss one set a moment ago.
   */
  CallInFlight inFlight() {
    Deadline d = deadline;
    if (seenNanos == 0) {
      seenNanos = CallInFlight.stampNow(); // racing stamps are both right
    }
    return new CallInFlight(callId, method, true, seenNanos, d == null ? null : d.nanoTime());
  }

  @Override
  public void start(Listener<RespT> listener, Metadata extraHeaders) {
    Objects.requireNonNull(listener, "listener");
    if (this.listener != null) {
      throw new IllegalStateException("call of " + method.getFullMethodName() + " already started");
    }
    this.listener = listener;
    this.headers = mergeHeaders(options.getHeaders(), extraHeaders);
    Context current = Context.current();
    Deadline d = options.getDeadline();
    Deadline inherited = current.getDeadline();
    if (inherited != null) {
      d = inherited.minimum(d);
    }
    this.deadline = d;

    Status refusal = conn.refusalForNewCalls();
    if (refusal != null) {
      endLocally(refusal, false);
      return;
    }
    if (d != null && d.isExpired()) {
      endLocally(Status.DEADLINE_EXCEEDED.withDescription(
          "deadline passed " + describeOverdue(d) + " before " + method.getFullMethodName() + " started"), false);
      return;
    }
    context = current;
    if (d != null) {
      deadlineTask = new DeadlineTask();
    }
    // NOTE: everything finish() reads is assigned above, before the call is published in the table
    // (the table's lock is the happens-before edge), so whoever ends it — failAll on the receive thread
    // included — cancels the timer and leaves the context.
    conn.clientCalls.putIfAbsent(callId, this);
    // The connection may have closed between the check and the put; it then missed this call.
    refusal = conn.closedStatus();
    if (refusal != null) {
      onTransportClosed(refusal);
      return;
    }
    // A no-op for a context that cannot be cancelled (ROOT, outside any call); runs at once if cancelled.
    current.addListener(this, DirectExecutor.INSTANCE);
    if (deadlineTask != null) {
      conn.timer().schedule(deadlineTask, d.nanoTime());
    }
    if (ended) {
      // Ended while being started (a failAll, the parent's cancellation): finish() may have run before
      // the listener was added or the timer armed, so undo both here (each is idempotent).
      finish();
      return;
    }
    if (!method.getType().clientSendsOneMessage()) {
      synchronized (this) {
        try {
          sendStart(null, false);
        } catch (StatusException e) {
          cancelWith(e.getStatus(), false, true);
          return;
        }
      }
      // Like gRPC-java, a streaming call says it is ready once started, so a producer can wait for it.
      flow.owesReadyNotice();
      callExecutor.execute(this::drainPending);
    }
  }

  @Override
  public void request(int numMessages) {
    if (numMessages <= 0) {
      throw new IllegalArgumentException("numMessages must be positive, got " + numMessages);
    }
    if (flow.request(numMessages)) {
      callExecutor.execute(this::deliver);
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    Objects.requireNonNull(message, "message");
    synchronized (this) {
      checkSendable("sendMessage");
      if (ended) {
        return; // the call is over; like gRPC-java, later messages are dropped quietly
      }
      if (method.getType().clientSendsOneMessage()) {
        if (singleRequest != null) {
          throw new IllegalStateException(
              method.getFullMethodName() + " takes one request; sendMessage was called twice");
        }
        singleRequest = message;
        return;
      }
      if (!flow.hasQueued() && flow.takeCredit()) {
        sending = true;
        try {
          sendRequest(message);
        } finally {
          sendDone();
        }
      } else {
        flow.enqueue(message);
      }
    }
  }

  @Override
  public void halfClose() {
    synchronized (this) {
      checkSendable("halfClose");
      halfClosed = true;
      if (ended) {
        return;
      }
      if (method.getType().clientSendsOneMessage()) {
        // Start, request and half-close travel as one frame.
        sending = true;
        try {
          sendStart(singleRequest, true);
        } catch (StatusException e) {
          cancelWith(e.getStatus(), false, true); // a frame that failed to go was not sent
        } finally {
          sendDone();
        }
        singleRequest = null;
        return;
      }
      if (flow.hasQueued()) {
        flow.enqueue(HALF_CLOSE);
      } else {
        sendHalfClose();
      }
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    String why = message != null ? message : "cancelled by the client";
    Status status = Status.CANCELLED.withDescription(why);
    if (cause instanceof InternalError) {
      // A fault in the transport's own memory (its mapped file was truncated), met while sending: the
      // transport is closing, and the call with it, but the thread that closes it may not have reached
      // this call yet. The transport's status says what happened; CANCELLED would not.
      Status lost;
      try {
        lost = conn.transportFault(cause);
      } catch (RuntimeException | Error e) {
        lost = null; // the look at the transport faulted in turn: the call still ends, CANCELLED
        cause.addSuppressed(e);
      }
      if (lost != null) {
        status = lost.withDescription(why + ": " + lost.getDescription());
      }
    }
    Status cancelled = cause != null ? status.withCause(cause) : status;
    if (!cancelWith(cancelled, true) && listener != null) {
      // The call already ended (the server closed it), but its listener may not have heard: messages
      // it has not asked for hold the close back. A cancel stops delivery, as in gRPC: the listener
      // hears onClose(CANCELLED) now and the undelivered messages are dropped.
      callExecutor.execute(() -> {
        if (!listenerClosed) {
          closeListener(cancelled, new Metadata());
        }
      });
    }
  }

  /**
   * The call's executor refused to run its callbacks (its queue is full, or it was shut down): the call
   * is cancelled, and its listener hears the rest, the close included, on the connection's executor (see
   * {@link SerializingExecutor}). A call that had ended already (its close came first) is delivered as
   * it ended, messages included.
   */
  @Override
  public void refused(RuntimeException e) {
    Status status = Status.CANCELLED.withDescription("the executor of this call refused to run its callbacks: " + e)
        .withCause(e);
    if (!cancelWith(status, true)) {
      log.debug("[{}] the executor of a call to {} (call {}) refused its last callbacks, after the call ended ({})",
          conn.localName(), method.getFullMethodName(), callId, e.toString());
      return;
    }
    long heldBack = conn.refusals.admit();
    if (heldBack >= 0) {
      log.warn("[{}] the executor of a call to {} (call {}) refused to run its callbacks ({}); the call is "
          + "cancelled{}", conn.localName(), method.getFullMethodName(), callId, e, LogThrottle.heldBackNote(heldBack));
    }
  }

  @Override
  public boolean isReady() {
    return !ended && flow.isReady();
  }

  /** The context current at start was cancelled: so is this call. */
  @Override
  public void cancelled(Context cancelledContext) {
    Status status;
    if (cancelledContext instanceof CallContext) {
      CallContext call = (CallContext) cancelledContext;
      status = Status.CANCELLED.withDescription("the call that started this one (" + call.getMethodName()
          + ") was cancelled: " + call.getCancellationStatus());
    } else {
      Status why = Contexts.statusFromCancelled(cancelledContext);
      // A context that reached its deadline ends its calls as a deadline would, as in gRPC-java.
      status = (why.getCode() == Status.Code.DEADLINE_EXCEEDED ? Status.DEADLINE_EXCEEDED : Status.CANCELLED)
          .withDescription("the context this call was started in was cancelled: " + why);
    }
    cancelWith(status, true);
  }

  private void checkSendable(String what) {
    if (listener == null) {
      throw new IllegalStateException(what + " before start on " + method.getFullMethodName());
    }
    if (halfClosed) {
      throw new IllegalStateException(what + " after halfClose on " + method.getFullMethodName());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending (under this call's monitor)

  private void sendStart(ReqT message, boolean endStream) throws StatusException {
    startAttempted = true;
    // NOTE: startAttempted is written before ended is read; an ending writes ended before it reads
    // startAttempted (see the class comment).
    if (ended) {
      return; // ended meanwhile, and the ending knows the call was not sent
    }
    CallHeaders wireHeaders = WireMetadata.headers(headers);
    long timeoutNanos = 0;
    if (deadline != null) {
      timeoutNanos = deadline.timeRemaining(TimeUnit.NANOSECONDS);
      if (timeoutNanos <= 0) {
        throw Status.DEADLINE_EXCEEDED.withDescription(
            "deadline passed " + describeOverdue(deadline) + " before " + method.getFullMethodName()
                + " was sent").asException();
      }
    }
    OutboundFrame f = conn.write(wireHeaders, method.getRequestMarshaller(), message, sendDeadline(), this);
    int flags = (wireHeaders != null ? FrameHeader.FLAG_METADATA : 0)
        | (message != null ? FrameHeader.FLAG_MESSAGE : 0)
        | (endStream ? FrameHeader.FLAG_END_STREAM : 0);
    f.header().clear().kind(FrameKind.CALL_START).flags(flags).callId(callId)
        .methodId(method.getMethodId()).timeoutNanos(timeoutNanos);
    f.commit();
    startSent = true;
    // NOTE: startSent is written before cancelToSend is read; sendCancel writes cancelToSend before it
    // reads startSent again. So a cancel that came between the commit and the line above is sent by one
    // of the two, or by both (the server drops a CANCEL for a call it already ended).
    Status late = cancelToSend;
    if (late != null) {
      sendCancelFrame(late);
    }
  }

  /** The send is over: an expiry it held back now takes effect (unless the send ended the call). */
  private void sendDone() {
    sending = false;
    // NOTE: `sending` is cleared before `expiredWhileSending` is read; the timer sets that flag before it
    // reads `sending`. So one of the two ends the call (endOnce makes a second attempt harmless).
    if (expiredWhileSending) {
      deadlineTask.endForDeadline();
    }
  }

  private void sendRequest(ReqT message) {
    try {
      OutboundFrame f = conn.write(null, method.getRequestMarshaller(), message, sendDeadline(), this);
      f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(callId);
      f.commit();
    } catch (StatusException e) {
      cancelWith(e.getStatus(), true);
    }
  }

  private void sendHalfClose() {
    try {
      conn.sendControl(FrameKind.HALF_CLOSE, callId, 0, 0, sendDeadline());
    } catch (StatusException e) {
      cancelWith(e.getStatus(), true);
    }
  }

  /** Sends queued messages the credit now allows; on the call executor. */
  private void drainPending() {
    synchronized (this) {
      Object next;
      while (!ended && (next = flow.peekQueued()) != null) {
        if (next == HALF_CLOSE) {
          flow.dropQueued();
          sendHalfClose();
        } else if (flow.takeCredit()) {
          flow.dropQueued();
          @SuppressWarnings("unchecked")
          ReqT message = (ReqT) next;
          sendRequest(message);
        } else {
          break;
        }
      }
      if (ended) {
        flow.clearQueued();
      }
    }
    if (!listenerClosed && !ended && flow.takeReadyNotice()) {
      Context previous = context.attach();
      try {
        listener.onReady();
      } catch (Throwable t) {
        failFromListener(t);
      } finally {
        context.detach(previous);
      }
    }
  }

  /** On the call executor: the response headers reach the listener, once and before any message. */
  private void deliverHeaders(Metadata h) {
    if (listenerClosed) {
      return;
    }
    if (headersDelivered || messageArrived) {
      failFromServer(conn.remoteName() + " sent response headers for " + method.getFullMethodName()
          + (headersDelivered ? " twice" : " after a message"));
      return;
    }
    headersDelivered = true;
    Context previous = context.attach();
    try {
      listener.onHeaders(h);
    } catch (Throwable t) {
      failFromListener(t);
    } finally {
      context.detach(previous);
    }
  }

  /** The server broke the protocol on this call: end it here and tell the server. */
  private void failFromServer(String what) {
    Status s = Status.INTERNAL.withDescription(what);
    cancelWith(s, true);
    closeListener(s, new Metadata());
  }

  private long sendDeadline() {
    return deadline == null ? Long.MAX_VALUE : deadline.nanoTime();
  }

  @Override
  public String describePayload() {
    return "request of " + method.getFullMethodName() + " (call " + callId + ")";
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving: receive thread side

  /** True if responses are parsed where they lie, in the transport's buffer ({@link dev.spoke.ZeroCopy}). */
  boolean readsInPlace() {
    return readsInPlace;
  }

  /**
   * A response: a byte[], or a {@link RetainedPayload}. Returns false if the frame
   * was not taken (the call had ended); the caller then discards it.
   */
  boolean onResponseFrame(Object message) {
    if (ended) {
      return false; // cancelled locally; the server's frames are moot
    }
    if (!flow.admit()) {
      // A peer that ignores flow control could otherwise make us buffer without bound.
      cancelWith(Status.INTERNAL.withDescription(conn.remoteName() + " sent more responses of "
          + method.getFullMethodName() + " than the flow-control window allows (" + flow.received() + " > "
          + flow.windowLimit() + ")"), true);
      StreamFlow.discard(message);
      return true;
    }
    callExecutor.execute(new ResponseArrived(message));
    return true;
  }

  /** A response on its way to the call executor; given back if that executor drops it. */
  private final class ResponseArrived implements ThreadlessExecutor.Droppable {
    private final Object message;

    ResponseArrived(Object message) {
      this.message = message;
    }

    @Override
    public void run() {
      if (listenerClosed) {
        StreamFlow.discard(message); // closed since: nothing will deliver it
        return;
      }
      messageArrived = true;
      flow.add(message);
      deliver();
    }

    @Override
    public void dropped() {
      StreamFlow.discard(message); // the blocking caller is gone: nothing will deliver it
    }
  }

  /** The server's response headers (a HEADERS frame); false if the call had ended. */
  boolean onHeadersFrame(int flags, byte[] payload) {
    if (ended) {
      return false;
    }
    callExecutor.execute(() -> {
      Metadata h = new Metadata();
      if ((flags & FrameHeader.FLAG_METADATA) != 0) {
        try {
          h = WireMetadata.toMetadata(WireMetadata.readPrefixed(payload, CallHeaders.parser()).getEntriesList());
        } catch (IOException e) {
          failFromServer("malformed response headers from " + conn.remoteName() + " for " + method.getFullMethodName()
              + ": " + e.getMessage());
          return;
        }
      }
      deliverHeaders(h);
    });
    return true;
  }

  /**
   * The server's CLOSE. {@code retainedMessage}: the message it carries, still in the transport's
   * buffer ({@code payload} then holds only the metadata before it), or null.
   */
  void onCloseFrame(int statusCode, int flags, byte[] payload, RetainedPayload retainedMessage) {
    if (!endOnce()) {
      StreamFlow.discard(retainedMessage);
      return; // already ended locally
    }
    finish();
    if ((flags & FrameHeader.FLAG_MESSAGE) != 0 && !flow.admit()) {
      // Over the window with the last message: deliver the close anyway, without the message.
      flags &= ~FrameHeader.FLAG_MESSAGE;
      StreamFlow.discard(retainedMessage);
      retainedMessage = null;
    }
    closeStatusCode = statusCode;
    closeFlags = flags;
    closePayload = payload;
    closeMessage = retainedMessage;
    // NOTE: the fields above are published by the executor's queue (a happens-before edge) to run().
    callExecutor.execute(this);
  }

  /** The server's CLOSE, on the call executor: this call is its own task, to save one per call. */
  @Override
  public void run() {
    RetainedPayload message = closeMessage;
    closeMessage = null;
    try {
      onClose(closeStatusCode, closeFlags, closePayload, message);
    } finally {
      if (message != null && !queuedCloseMessage) {
        message.release(); // not queued for delivery: malformed trailers, or the listener closed first
      }
    }
  }

  /** The CLOSE task will never run (the blocking caller is gone): its message goes back. */
  @Override
  public void dropped() {
    StreamFlow.discard(closeMessage);
    closeMessage = null;
  }

  void onCredits(int credits) {
    if (credits <= 0) {
      log.debug("[{}] call {}: ignored a grant of {} credits", conn.localName(), callId, credits);
      return;
    }
    if (flow.addCredits(credits)) {
      callExecutor.execute(this::drainPending);
    }
  }

  void onTransportClosed(Status status) {
    endLocally(status, false);
  }

  /** The transport closed, and says the server never read this call's CALL_START: it did not run. */
  void onTransportClosedUnread(Status status) {
    if (listener == null || !endOnce()) {
      return;
    }
    finish();
    Status s = status.augmentDescription(method.getFullMethodName() + " (call " + callId + ") never reached "
        + conn.remoteName() + ": it did not run");
    Metadata trailers = localTrailers(CallNotRun.UNREAD);
    callExecutor.execute(() -> closeListener(s, trailers));
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving: call executor side

  private void onClose(int statusCode, int flags, byte[] payload, RetainedPayload message) {
    Status status = Status.fromCodeValue(statusCode);
    Metadata trailers = new Metadata();
    Metadata responseHeaders = (flags & FrameHeader.FLAG_HEADERS) != 0 ? new Metadata() : null;
    int messageAt = 0;
    try {
      if ((flags & FrameHeader.FLAG_METADATA) != 0) {
        CallTrailers t = WireMetadata.readPrefixed(payload, CallTrailers.parser());
        if (!t.getDescription().isEmpty()) {
          status = status.withDescription(t.getDescription());
        }
        trailers = WireMetadata.toMetadata(t.getEntriesList());
        if (responseHeaders != null) {
          responseHeaders = WireMetadata.toMetadata(t.getHeadersList());
        }
        messageAt = WireMetadata.prefixedEnd(payload);
      }
    } catch (IOException e) {
      status = Status.INTERNAL.withDescription(
          "malformed trailers from " + conn.remoteName() + " for " + method.getFullMethodName() + ": " + e.getMessage());
      flags &= ~FrameHeader.FLAG_MESSAGE;
      trailers = new Metadata();
      responseHeaders = null;
    }
    if (responseHeaders != null) {
      deliverHeaders(responseHeaders);
      if (listenerClosed) {
        return;
      }
    }
    if (status.getCode() == Status.Code.UNIMPLEMENTED && status.getDescription() != null
        && status.getDescription().startsWith(Connection.unknownMethodPrefix(method.getMethodId()))) {
      // The server refused the method id; only this side knows the method's name.
      status = status.withDescription(method.getFullMethodName() + " is not served by " + conn.remoteName()
          + ": " + status.getDescription());
    }
    if ((flags & FrameHeader.FLAG_MESSAGE) != 0) {
      if (message != null) {
        flow.add(message);
        queuedCloseMessage = true;
      } else {
        flow.add(payload, messageAt);
      }
    }
    serverStatus = status;
    serverTrailers = trailers;
    deliver();
  }

  private void deliver() {
    if (listenerClosed) {
      return;
    }
    Context previous = context.attach();
    try {
      deliverInContext();
    } finally {
      context.detach(previous);
    }
  }

  private void deliverInContext() {
    Object next;
    while ((next = flow.nextToDeliver()) != null) {
      RespT message;
      try {
        message = StreamFlow.parse(method.getResponseMarshaller(), next);
      } catch (IOException | RuntimeException e) {
        Status s = conn.parseFailure("a response of " + method.getFullMethodName(), e);
        cancelWith(s, true);
        closeListener(s, new Metadata());
        return;
      }
      try {
        listener.onMessage(message);
      } catch (Throwable t) {
        failFromListener(t);
        return;
      }
      int grant = flow.consumed();
      if (grant > 0 && serverStatus == null) {
        grantCredits(grant);
      }
      if (listenerClosed) {
        return;
      }
    }
    if (serverStatus != null && !flow.hasUndelivered()) {
      closeListener(serverStatus, serverTrailers);
    }
  }

  private void grantCredits(int grant) {
    try {
      conn.sendControl(FrameKind.RESPONSE_CREDIT, callId, 0, grant, sendDeadline());
    } catch (StatusException e) {
      cancelWith(e.getStatus(), false);
    }
  }

  private void failFromListener(Throwable t) {
    log.warn("[{}] listener of call {} ({}) threw; cancelling the call", conn.localName(), callId,
        method.getFullMethodName(), t);
    Status s = Status.CANCELLED.withDescription("the call's listener threw: " + t).withCause(t);
    cancelWith(s, true);
    closeListener(s, new Metadata());
  }

  private void closeListener(Status status, Metadata trailers) {
    if (listenerClosed) {
      return;
    }
    listenerClosed = true;
    flow.clearInbound();
    Consumer<Metadata> trailersListener = options.getTrailersListener();
    Context previous = context.attach();
    try {
      if (trailersListener != null) {
        trailersListener.accept(trailers);
      }
      listener.onClose(status, trailers);
    } catch (Throwable t) {
      log.error("[{}] onClose of call {} ({}) threw", conn.localName(), callId, method.getFullMethodName(), t);
    } finally {
      context.detach(previous);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Ending

  /**
   * Ends the call locally with {@code status}; tells the server when {@code tellServer}. Returns false
   * if the call had already ended.
   */
  boolean cancelWith(Status status, boolean tellServer) {
    return cancelWith(status, tellServer, false);
  }

  /**
   * Ends the call locally with {@code status}; tells the server when {@code tellServer}. {@code
   * notSent}: the caller knows the CALL_START did not go (its send failed). Returns false if the call
   * had already ended.
   */
  private boolean cancelWith(Status status, boolean tellServer, boolean notSent) {
    if (!endOnce()) {
      return false;
    }
    finish();
    Metadata trailers = localTrailers(notSent ? CallNotRun.NOT_SENT : null);
    if (tellServer) {
      sendCancel(status);
    }
    callExecutor.execute(() -> closeListener(status, trailers));
    return true;
  }

  /**
   * The trailers of a status made on this side, after this side ended the call: marked not-run when
   * the CALL_START never went ({@code how} says why; null: find out).
   */
  private Metadata localTrailers(String how) {
    Metadata trailers = new Metadata();
    if (how == null && !startAttempted) {
      how = CallNotRun.NOT_SENT;
    }
    return how == null ? trailers : CallNotRun.mark(trailers, how);
  }

  private void sendCancel(Status status) {
    if (!startSent) {
      cancelToSend = status; // the CALL_START may be on its way: its sender sends this once it is (see sendStart)
      if (!startSent) {
        return; // the server never heard of this call, or will hear of the cancel from the sender
      }
    }
    sendCancelFrame(status);
  }

  private void sendCancelFrame(Status status) {
    try {
      // A cancel never waits: with no room it queues and goes out when the server reads again.
      conn.sendControl(FrameKind.CANCEL, callId, status.getCode().value(), 0, Transport.NO_WAIT);
    } catch (StatusException e) {
      log.debug("[{}] could not send CANCEL for call {}: {}", conn.localName(), callId, e.getStatus());
    }
  }

  private void endLocally(Status status, boolean tellServer) {
    if (listener == null) {
      return;
    }
    cancelWith(status, tellServer);
  }

  /** True for the one caller that ends the call. */
  private boolean endOnce() {
    return ENDED.compareAndSet(this, false, true);
  }

  /** Releases what the call holds; once, by whoever ended it. */
  private void finish() {
    conn.clientCalls.remove(callId, this);
    if (deadlineTask != null) {
      deadlineTask.cancel();
    }
    context.removeListener(this);
    conn.callEnded();
  }

  private static Metadata mergeHeaders(Metadata fromOptions, Metadata extra) {
    if (extra == null || extra.isEmpty()) {
      return fromOptions;
    }
    if (fromOptions == null || fromOptions.isEmpty()) {
      return extra;
    }
    return new Metadata().merge(fromOptions).merge(extra);
  }

  private static String describeOverdue(Deadline d) {
    return String.format("%.3fs ago", -d.timeRemaining(TimeUnit.NANOSECONDS) / 1e9);
  }

  private final class DeadlineTask extends DeadlineTimer.Task {
    private final long startNanos = System.nanoTime();

    @Override
    protected void expire() {
      expiredWhileSending = true;
      if (sending) {
        return; // the sender's own wait ends at this deadline too, with the precise reason
      }
      endForDeadline();
    }

    void endForDeadline() {
      double waited = (System.nanoTime() - startNanos) / 1e9;
      Status s = Status.DEADLINE_EXCEEDED.withDescription(String.format(
          "%s on %s did not finish within its deadline (%.3fs after it started)",
          method.getFullMethodName(), conn.remoteName(), waited));
      if (!endOnce()) {
        return;
      }
      finish();
      Metadata trailers = localTrailers(null);
      // The timer thread must not block: the CANCEL is sent from the call's executor.
      callExecutor.execute(() -> {
        sendCancel(s);
        closeListener(s, trailers);
      });
    }
  }

  @Override
  public String toString() {
    return "ClientCall{" + method.getFullMethodName() + ", id " + callId + ", ended=" + ended + "}";
  }
}
