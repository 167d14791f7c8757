package dev.spoke.internal;

import com.google.protobuf.MessageLite;
import dev.spoke.CallContext;
import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Marshaller;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.proto.CallTrailers;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.RetainedPayload;
import dev.spoke.transport.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The call layer over one {@link Transport}: both the calls this side starts (through {@link
 * #channel()}) and the calls the other side starts (dispatched to the {@link ServiceRegistry}). The
 * host has one per plugin; a plugin has one to the host.
 *
 * <p>Call ids: each side numbers the calls it starts from 1 upwards; a frame's kind says whether its id
 * is one of ours (a response to our call) or theirs, so the two directions never collide.
 *
 * <p>Threads: frames arrive on the thread that holds the transport's delivery role (its receive
 * thread, or a blocking caller receiving its own response), which looks up the call, copies the payload
 * out of the transport's buffer (the one copy on the receive path) and hands the event to the call's
 * executor. It never blocks (sends from a delivering thread do not wait), and it runs application code
 * only where the application asked for it — a handler or callback bound to a direct executor — and
 * only after it has finished reading the frame, so that if that code blocks, the transport can go on
 * delivering on another thread (see {@link dev.spoke.internal.InboundDelivery}).
 *
 * <p>Thread-safe.
 */
public final class Connection implements FrameListener {

  private static final Logger log = LoggerFactory.getLogger(Connection.class);

  /**
   * Messages each side of a stream may send before the receiver grants more: the initial window, in
   * messages, in both directions (docs/PROTOCOL.md). Receivers grant credit back in batches of half
   * the window as their application consumes.
   */
  public static final int INITIAL_WINDOW = 32;

  static final byte[] EMPTY = new byte[0];

  private final Transport transport;
  private final ServiceRegistry registry;
  private final Executor executor;
  /** Lets through a line a second about executors that refused a call's events (see SerializingExecutor). */
  final LogThrottle refusals = new LogThrottle(TimeUnit.SECONDS.toNanos(1));
  /**
   * This connection's executor, or this thread if the executor refuses a task (it is shut down, or
   * full): for what must happen whatever the executor says, such as the end of a call.
   */
  final Executor executorOrHere;
  private final String localName;
  private final DeadlineTimer timer;
  private final Consumer<Status> goAwayHandler;
  private final Object attachment;
  /** The most calls the other side may have in flight here at once (Integer.MAX_VALUE: no limit). */
  private final int maxIncomingCalls;
  /** Where a user raises that limit, for the refusal's message. */
  private final String incomingLimitSetting;
  /** Calls the other side started that have not ended; counted only when there is a limit. */
  private final java.util.concurrent.atomic.AtomicInteger incomingCalls = new java.util.concurrent.atomic.AtomicInteger();

  private final AtomicLong callIds = new AtomicLong();
  final CallTable<ClientCallImpl<?, ?>> clientCalls = new CallTable<>();
  final CallTable<ServerCallImpl<?, ?>> serverCalls = new CallTable<>();
  private final LongAdder droppedFrames = new LongAdder();
  private final LongAdder callsServed = new LongAdder();
  private final Object drainLock = new Object();
  /** Threads in awaitDrained; call endings wake them only when there are some. */
  private volatile int drainWaiters;

  private volatile Status closedStatus;
  private volatile boolean goAwaySent;
  private volatile Status goAwayReceived;
  private final Channel channel = new ConnectionChannel();
  /** Lets a blocking caller receive its response on its own thread (see Transport). */
  final IntSupplier callerReceiver;
  /** Ends a blocking caller's receiving on its own thread (see Transport). */
  final Runnable callerReceiveEnd;
  /** A blocking caller that looked for its response parks (see Transport#callerParks). */
  final Runnable callerParks;
  /** Whether an error a blocking caller met is a fault in the transport's memory (see ThreadlessExecutor). */
  final Predicate<Throwable> callerFaultExplained;

  private Connection(Builder b) {
    this.transport = b.transport;
    this.registry = b.registry != null ? b.registry : new ServiceRegistry();
    this.executor = b.executor;
    this.executorOrHere = task -> executeOrRunHere(executor, task);
    this.localName = b.localName;
    this.timer = DeadlineTimer.shared();
    this.goAwayHandler = b.goAwayHandler;
    this.attachment = b.attachment;
    this.maxIncomingCalls = b.maxIncomingCalls;
    this.incomingLimitSetting = b.incomingLimitSetting;
    this.callerReceiver = () -> transport.receiveOnCallerThread(16);
    this.callerReceiveEnd = transport::endReceiveOnCallerThread;
    this.callerParks = transport::callerParks;
    this.callerFaultExplained = e -> transportFault(e) != null;
  }

  /**
   * The status a caller is to see for {@code error}, met in this transport's memory, or null if it is
   * not the transport's fault (see {@link Transport#explainFault}). Any thread.
   */
  Status transportFault(Throwable error) {
    return transport.explainFault(error);
  }

  /** Starts configuring a connection over {@code transport}. */
  public static Builder builder(Transport transport) {
    return new Builder(transport);
  }

  /** Starts receiving. Call once, after the registry holds what should be served from the start. */
  public Connection start() {
    transport.start(this);
    return this;
  }

  /** A channel for calls to the other side's services. */
  public Channel channel() {
    return channel;
  }

  /** The services this side serves on the connection. */
  public ServiceRegistry registry() {
    return registry;
  }

  /** The transport the connection runs over. */
  public Transport transport() {
    return transport;
  }

  /** The default executor for callbacks and handlers. */
  public Executor executor() {
    return executor;
  }

  /**
   * Runs {@code task} on {@code executor}, or, if it refuses, on this thread as application code (see
   * {@link InboundDelivery#runAsApplicationCode}).
   */
  static void executeOrRunHere(Executor executor, Runnable task) {
    try {
      executor.execute(task);
    } catch (RuntimeException refused) {
      InboundDelivery.runAsApplicationCode(task);
    }
  }

  /** What the application attached to this connection when it built it, or null. */
  public Object attachment() {
    return attachment;
  }

  /** The connection that delivered the server call whose callback runs on this thread, or null. */
  public static Connection ofCurrentCall() {
    return ServerCallImpl.connectionOf(CallContext.current());
  }

  /** This side's name in messages. */
  public String localName() {
    return localName;
  }

  /** Who is on the other side, for messages. */
  public String remoteName() {
    return transport.remoteName();
  }

  /** Frames dropped because they named no live call or were malformed. */
  public long droppedFrames() {
    return droppedFrames.sum();
  }

  /** Calls the other side started that this side has accepted. */
  public long callsServed() {
    return callsServed.sum();
  }

  /**
   * The calls now in flight on this connection, both those this side made and those it serves, oldest
   * first: for diagnostics. A snapshot, each call read once; cheap enough to take every second.
   */
  public List<CallInFlight> callsInFlight() {
    List<CallInFlight> out = new ArrayList<>();
    for (ClientCallImpl<?, ?> c : clientCalls.values()) {
      out.add(c.inFlight());
    }
    for (ServerCallImpl<?, ?> c : serverCalls.values()) {
      out.add(c.inFlight());
    }
    out.sort((a, b) -> Long.signum(a.startedNanos() - b.startedNanos()));
    return out;
  }

  /** Calls in flight: started by this side and by the other side. */
  public int activeCalls() {
    return clientCalls.size() + serverCalls.size();
  }

  /** Why the connection closed, or null while it is open. */
  public Status closedStatus() {
    return closedStatus;
  }

  DeadlineTimer timer() {
    return timer;
  }

  long nextCallId() {
    return callIds.incrementAndGet();
  }

  /** Null if new calls may start; otherwise why not. */
  Status refusalForNewCalls() {
    Status closed = closedStatus;
    if (closed != null) {
      return closed;
    }
    if (goAwaySent) {
      return Status.UNAVAILABLE.withDescription(
          "connection " + localName + " → " + remoteName() + " is shutting down; no new calls");
    }
    Status away = goAwayReceived;
    if (away != null) {
      return Status.UNAVAILABLE.withDescription(remoteName() + " is going away (GOAWAY): " + away);
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /**
   * Graceful shutdown: tells the other side (GOAWAY), refuses new calls both ways, lets calls in flight
   * finish. Idempotent.
   */
  public void shutdown(String reason) {
    if (goAwaySent) {
      return;
    }
    goAwaySent = true;
    if (closedStatus == null) {
      try {
        CallTrailers why = WireMetadata.trailers(Status.UNAVAILABLE.withDescription(reason), null);
        OutboundFrame f = write(why, null, null, System.nanoTime() + TimeUnit.SECONDS.toNanos(1), "GOAWAY");
        f.header().clear().kind(FrameKind.GOAWAY).flags(why == null ? 0 : FrameHeader.FLAG_METADATA)
            .status(Status.Code.UNAVAILABLE.value());
        f.commit();
      } catch (StatusException e) {
        log.debug("[{}] could not send GOAWAY to {}: {}", localName, remoteName(), e.getStatus());
      }
    }
    signalDrained();
  }

  /**
   * Waits until no call is in flight, up to {@code timeout}; returns whether that happened. Use after
   * {@link #shutdown}.
   */
  public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    synchronized (drainLock) {
      drainWaiters++;
      try {
        while (activeCalls() > 0) {
          long remaining = deadline - System.nanoTime();
          if (remaining <= 0) {
            return false;
          }
          TimeUnit.NANOSECONDS.timedWait(drainLock, remaining);
        }
      } finally {
        drainWaiters--;
      }
    }
    return true;
  }

  /** Ends every call in flight with {@code status} and closes the transport. Idempotent. */
  public void shutdownNow(Status status) {
    goAwaySent = true;
    transport.close(status);
    // The transport reports onTransportClosed, which fails the calls; do it here too in case the
    // transport had already closed and reported before.
    failAll(status);
  }

  /** A call the other side started has ended (once per accepted call). */
  void serverCallEnded() {
    if (maxIncomingCalls != Integer.MAX_VALUE) {
      incomingCalls.decrementAndGet();
    }
  }

  void callEnded() {
    // NOTE: drainWaiters is raised under drainLock before the waiter checks activeCalls, and a call
    // leaves its map before this read; so a waiter either sees the call gone or gets the signal.
    if (drainWaiters > 0) {
      signalDrained();
    }
  }

  private void signalDrained() {
    synchronized (drainLock) {
      drainLock.notifyAll();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /**
   * Claims a frame and writes {@code metadata} (length-prefixed, may be null) followed by {@code
   * message} (may be null) straight into the transport's buffer. The caller fills the header and
   * commits.
   *
   * @param what names the payload for error messages: a label, or a {@link PayloadOwner}
   */
  <T> OutboundFrame write(
      MessageLite metadata, Marshaller<T> marshaller, T message, long deadlineNanos, Object what)
      throws StatusException {
    int metadataSize = metadata == null ? 0 : WireMetadata.prefixedSize(metadata);
    int messageSize = message == null ? 0 : marshaller.serializedSize(message);
    long total = (long) metadataSize + messageSize;
    if (total > transport.maxPayloadLength()) {
      String advice = transport.payloadLimitAdvice(total);
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(describe(what) + " is " + total + " bytes; the largest payload "
              + transport.remoteName() + " can carry is " + transport.maxPayloadLength() + " bytes"
              + (advice != null ? "; " + advice : ""))
          .asException();
    }
    OutboundFrame frame;
    try {
      frame = transport.claim((int) total, deadlineNanos);
    } catch (StatusException e) {
      throw e.getStatus().withDescription(describe(what) + ": " + e.getStatus().getDescription()).asException();
    }
    try {
      ByteBuffer payload = frame.payload();
      if (metadata != null) {
        WireMetadata.writePrefixed(metadata, payload);
      }
      if (message != null) {
        marshaller.writeTo(message, payload);
      }
      if (payload.position() != total) {
        throw new IOException("wrote " + payload.position() + " bytes, announced " + total);
      }
      return frame;
    } catch (IOException | RuntimeException e) {
      frame.abort();
      throw Status.INTERNAL
          .withDescription("could not serialize " + describe(what) + ": " + e)
          .withCause(e)
          .asException();
    } catch (InternalError e) {
      // Writing into the transport's own memory faulted (its mapped file was truncated): the transport
      // says what that means for the caller, rather than the JVM's raw error.
      Status s = transport.explainFault(e);
      if (s == null) {
        throw e;
      }
      try {
        frame.abort();
      } catch (InternalError late) {
        // The abort touched the same lost memory: the loss is reported already.
        if (transport.explainFault(late) == null) {
          throw late;
        }
      }
      throw s.withDescription(describe(what) + ": " + s.getDescription()).asException();
    }
  }

  /**
   * The status for a message that did not parse: INTERNAL, unless the transport's memory was lost under
   * it (a payload copied from a truncated file reads as garbage before the JVM raises the fault), when
   * the transport's own status says so.
   */
  Status parseFailure(String what, Exception e) {
    Status lost = transport.explainFault(e);
    if (lost != null) {
      return lost.withDescription(what + ": " + lost.getDescription());
    }
    return Status.INTERNAL.withDescription("could not parse " + what + " from " + remoteName() + ": " + e).withCause(e);
  }

  /** A call that sends payloads, named in error messages only when an error needs it (not per send). */
  interface PayloadOwner {
    /** For example "request of pkg.Service/Method (call 7)". */
    String describePayload();
  }

  private static String describe(Object what) {
    return what instanceof PayloadOwner ? ((PayloadOwner) what).describePayload() : String.valueOf(what);
  }

  /** Sends a frame without payload. */
  void sendControl(FrameKind kind, long callId, int status, int credits, long deadlineNanos)
      throws StatusException {
    OutboundFrame f = transport.claim(0, deadlineNanos);
    f.header().clear().kind(kind).callId(callId).status(status).credits(credits);
    f.commit();
  }

  /** Sends a CLOSE for a call this side refuses before creating it (so it did not run). Best effort. */
  private void refuseCall(long callId, Status status) {
    try {
      CallTrailers trailers = WireMetadata.trailers(status, CallNotRun.mark(new Metadata(), CallNotRun.REFUSED));
      OutboundFrame f = write(trailers, null, null, Long.MAX_VALUE, "refusal of call " + callId);
      f.header().clear().kind(FrameKind.CLOSE).callId(callId).status(status.getCode().value())
          .flags(trailers == null ? 0 : FrameHeader.FLAG_METADATA);
      f.commit();
    } catch (StatusException e) {
      log.debug("[{}] could not refuse call {}: {}", localName, callId, e.getStatus());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving (transport's receive thread)

  @Override
  public void onFrame(FrameHeader header, ByteBuffer payload) {
    try {
      dispatch(header, payload);
    } catch (Throwable t) {
      // Never let anything escape onto the receive loop; the frame is lost, the connection goes on.
      droppedFrames.increment();
      log.error("[{}] failed to handle {} from {}", localName, header, remoteName(), t);
    }
  }

  private void dispatch(FrameHeader h, ByteBuffer payload) {
    FrameKind kind = h.kind();
    if (kind == null || (h.flags() & ~FrameHeader.KNOWN_FLAGS) != 0) {
      dropped(h, "malformed kind or flags");
      return;
    }
    switch (kind) {
      case CALL_START:
        onCallStart(h, payload);
        return;
      case REQUEST_MESSAGE:
      case HALF_CLOSE:
      case CANCEL:
      case RESPONSE_CREDIT: {
        ServerCallImpl<?, ?> call = serverCalls.get(h.callId());
        if (call == null) {
          dropped(h, "no such call (finished or never started)");
          return;
        }
        if (kind == FrameKind.REQUEST_MESSAGE) {
          Object message = call.readsInPlace() ? retainOrCopy(payload) : copy(payload);
          if (!call.onRequestFrame(message, h.hasFlag(FrameHeader.FLAG_END_STREAM))) {
            StreamFlow.discard(message);
          }
        } else if (kind == FrameKind.HALF_CLOSE) {
          call.onHalfCloseFrame();
        } else if (kind == FrameKind.CANCEL) {
          call.onCancelFrame(Status.fromCodeValue(h.status()));
        } else {
          call.onCredits(h.credits());
        }
        return;
      }
      case RESPONSE_MESSAGE:
      case HEADERS:
      case CLOSE:
      case REQUEST_CREDIT: {
        ClientCallImpl<?, ?> call = clientCalls.get(h.callId());
        if (call == null) {
          dropped(h, "no such call (finished or never started)");
          return;
        }
        if (kind == FrameKind.RESPONSE_MESSAGE) {
          Object message = call.readsInPlace() ? retainOrCopy(payload) : copy(payload);
          if (!call.onResponseFrame(message)) {
            StreamFlow.discard(message);
            dropped(h, "the call has ended");
          }
        } else if (kind == FrameKind.HEADERS) {
          if (!call.onHeadersFrame(h.flags(), copy(payload))) {
            dropped(h, "the call has ended");
          }
        } else if (kind == FrameKind.CLOSE) {
          RetainedPayload message = call.readsInPlace() ? retainMessage(h, payload) : null;
          call.onCloseFrame(h.status(), h.flags(), message == null ? copy(payload) : copyMetadata(payload, message), message);
        } else {
          call.onCredits(h.credits());
        }
        return;
      }
      case GOAWAY:
        onGoAway(h, payload);
        return;
      default:
        dropped(h, "unexpected kind");
    }
  }

  private void onCallStart(FrameHeader h, ByteBuffer payload) {
    long callId = h.callId();
    if (callId == 0) {
      dropped(h, "call id 0");
      return;
    }
    ServiceRegistry.Registration registration = registry.lookup(h.methodId());
    if (registration == null) {
      refuseCall(callId, Status.UNIMPLEMENTED.withDescription(unknownMethodPrefix(h.methodId())
          + " is not served by " + localName + " (it serves " + registry.serviceNames() + ")"));
      return;
    }
    if (goAwaySent || closedStatus != null) {
      refuseCall(callId, Status.UNAVAILABLE.withDescription(localName + " is shutting down; no new calls"));
      return;
    }
    if (maxIncomingCalls != Integer.MAX_VALUE && incomingCalls.incrementAndGet() > maxIncomingCalls) {
      incomingCalls.decrementAndGet();
      refuseCall(callId, Status.RESOURCE_EXHAUSTED.withDescription(remoteName() + " has " + maxIncomingCalls
          + " calls in flight to " + localName + ", the most it may have at once (" + incomingLimitSetting + ")"));
      return;
    }
    Executor serviceExecutor = registration.executor() != null ? registration.executor() : executor;
    ServerCallImpl<?, ?> call =
        new ServerCallImpl<>(this, registration.method(), callId, h.timeoutNanos(), serviceExecutor);
    if (serverCalls.putIfAbsent(callId, call) != null) {
      serverCallEnded();
      dropped(h, "duplicate CALL_START for a live call");
      return;
    }
    callsServed.increment();
    RetainedPayload message = call.readsInPlace() ? retainMessage(h, payload) : null;
    call.onStartFrame(h.flags(), message == null ? copy(payload) : copyMetadata(payload, message), message);
  }

  private void onGoAway(FrameHeader h, ByteBuffer payload) {
    String reason = "no reason given";
    if (h.hasFlag(FrameHeader.FLAG_METADATA)) {
      try {
        reason = WireMetadata.readPrefixed(copy(payload), CallTrailers.parser()).getDescription();
      } catch (IOException e) {
        reason = "unreadable reason (" + e.getMessage() + ")";
      }
    }
    log.debug("[{}] GOAWAY from {}: {}", localName, remoteName(), reason);
    goAwayReceived = Status.fromCodeValue(h.status()).withDescription(reason);
    if (goAwayHandler != null) {
      Status why = goAwayReceived;
      executorOrHere.execute(() -> goAwayHandler.accept(why));
    }
  }

  @Override
  public void onTransportClosed(Status status) {
    onTransportClosed(status, FrameListener.NONE_UNREAD);
  }

  /**
   * The transport closed; the calls whose CALL_START the other side never read end as calls that did
   * not run ({@link CallNotRun}), so a retrying channel can make them again; the rest as calls that may
   * have run.
   */
  @Override
  public void onTransportClosed(Status status, long[] unreadCallStarts) {
    closedStatus = Objects.requireNonNull(status, "status");
    log.debug("[{}] transport to {} closed ({} calls unread): {}", localName, remoteName(), unreadCallStarts.length,
        status);
    for (long id : unreadCallStarts) {
      ClientCallImpl<?, ?> c = clientCalls.get(id);
      if (c != null) {
        c.onTransportClosedUnread(status);
      }
    }
    failAll(status);
    signalDrained();
  }

  private void failAll(Status status) {
    for (ClientCallImpl<?, ?> c : clientCalls.values()) {
      c.onTransportClosed(status);
    }
    for (ServerCallImpl<?, ?> c : serverCalls.values()) {
      c.onTransportClosed(status);
    }
  }

  /** How a refusal of an unknown method id begins; the client recognises it and adds the name. */
  static String unknownMethodPrefix(int methodId) {
    return "method id 0x" + Integer.toHexString(methodId);
  }

  /**
   * A message for a marshaller that reads in place: kept in the transport's buffer if the transport
   * lends it ({@link dev.spoke.transport.Transport#retainPayload}), else copied. Delivering thread only.
   */
  private Object retainOrCopy(ByteBuffer payload) {
    RetainedPayload kept = payload.remaining() == 0 ? null : transport.retainPayload(payload);
    return kept != null ? kept : copy(payload);
  }

  /**
   * The message a CALL_START or CLOSE carries after its metadata, kept in the transport's buffer (the
   * handle's buffer starts at the message); null if it carries none, its metadata prefix is malformed
   * (the copy path reports that), or the transport does not lend its buffer. Delivering thread only.
   */
  private RetainedPayload retainMessage(FrameHeader h, ByteBuffer payload) {
    if (!h.hasFlag(FrameHeader.FLAG_MESSAGE)) {
      return null;
    }
    int messageAt = h.hasFlag(FrameHeader.FLAG_METADATA) ? WireMetadata.prefixedEnd(payload) : 0;
    if (messageAt < 0 || messageAt >= payload.remaining()) {
      return null;
    }
    RetainedPayload kept = transport.retainPayload(payload);
    if (kept != null) {
      kept.buffer().position(kept.buffer().position() + messageAt);
    }
    return kept;
  }

  /**
   * What comes before a retained message in its frame's payload (the metadata prefix), copied; empty if
   * nothing does. {@code message}'s buffer starts where the message does.
   */
  private static byte[] copyMetadata(ByteBuffer payload, RetainedPayload message) {
    int length = message.buffer().position() - payload.position();
    if (length == 0) {
      return EMPTY;
    }
    byte[] bytes = new byte[length];
    payload.get(payload.position(), bytes);
    return bytes;
  }

  /** One copy out of the transport's buffer into a fresh array that nothing else will write. */
  static byte[] copy(ByteBuffer payload) {
    int n = payload.remaining();
    if (n == 0) {
      return EMPTY;
    }
    byte[] bytes = new byte[n];
    payload.get(payload.position(), bytes);
    return bytes;
  }

  void dropped(FrameHeader h, String why) {
    droppedFrames.increment();
    if (log.isDebugEnabled()) {
      log.debug("[{}] dropped {} from {}: {}", localName, h, remoteName(), why);
    }
  }

  @Override
  public String toString() {
    return "Connection{" + localName + " → " + remoteName() + ", calls out=" + clientCalls.size()
        + ", in=" + serverCalls.size() + (closedStatus != null ? ", closed: " + closedStatus : "") + "}";
  }

  private final class ConnectionChannel extends Channel {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      return new ClientCallImpl<>(Connection.this, method, options);
    }

    @Override
    public String authority() {
      return remoteName();
    }

    @Override
    public String toString() {
      return "Channel{" + localName + " → " + remoteName() + "}";
    }
  }

  /** Configures a {@link Connection}. */
  public static final class Builder {
    private final Transport transport;
    private ServiceRegistry registry;
    private Executor executor;
    private String localName = "spoke";
    private Consumer<Status> goAwayHandler;
    private Object attachment;
    private int maxIncomingCalls = Integer.MAX_VALUE;
    private String incomingLimitSetting = "";

    private Builder(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** The services this side serves; may be shared by several connections. Default: none. */
    public Builder registry(ServiceRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** The default executor for handlers and client callbacks. Required. */
    public Builder executor(Executor executor) {
      this.executor = executor;
      return this;
    }

    /** This side's name, for logs and errors. */
    /** What the application knows this connection as (a host's plugin): see {@link Connection#attachment()}. */
    public Builder attachment(Object attachment) {
      this.attachment = attachment;
      return this;
    }

    /** This side's name in messages ("host", "plugin 'x'"). */
    public Builder localName(String name) {
      this.localName = name;
      return this;
    }

    /**
     * The most calls the other side may have in flight here at once; a call beyond it is refused at
     * once with {@code RESOURCE_EXHAUSTED}, naming {@code setting} (where a user raises it). Default: no
     * limit.
     */
    public Builder maxIncomingCalls(int limit, String setting) {
      if (limit < 1) {
        throw new IllegalArgumentException("maxIncomingCalls must be positive, got " + limit);
      }
      this.maxIncomingCalls = limit;
      this.incomingLimitSetting = Objects.requireNonNull(setting, "setting");
      return this;
    }

    /** Runs (on the default executor) when the other side sends GOAWAY. */
    public Builder onGoAway(Consumer<Status> handler) {
      this.goAwayHandler = handler;
      return this;
    }

    /** The connection, not started. */
    public Connection build() {
      Objects.requireNonNull(executor, "executor");
      return new Connection(this);
    }
  }
}
