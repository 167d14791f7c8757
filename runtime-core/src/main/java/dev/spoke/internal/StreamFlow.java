package dev.spoke.internal;

import dev.spoke.Marshaller;
import dev.spoke.transport.RetainedPayload;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;

/**
 * The flow control of one call's two message streams, the same on the client and the server side:
 * credits this side may still spend sending, messages waiting for credit, and the inbound messages
 * waiting for the application to ask for them (see "Flow control" in docs/PROTOCOL.md).
 *
 * <p>Threads: the receive thread adds credits and admits inbound messages; the call's send lock guards
 * the outbound queue; the call's serializing executor owns the inbound queue and delivery. The counters
 * other threads touch are VarHandle fields, so a call carries no atomic objects.
 */
final class StreamFlow {

  private static final VarHandle SEND_CREDITS;
  private static final VarHandle REQUESTS_TO_APPLY;
  private static final VarHandle INBOUND_QUEUED;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      SEND_CREDITS = l.findVarHandle(StreamFlow.class, "sendCredits", int.class);
      REQUESTS_TO_APPLY = l.findVarHandle(StreamFlow.class, "requestsToApply", int.class);
      INBOUND_QUEUED = l.findVarHandle(StreamFlow.class, "inboundQueued", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  // Outbound.
  private volatile int sendCredits = Connection.INITIAL_WINDOW;
  private ArrayDeque<Object> queued; // guarded by the call's send lock
  private volatile int queuedCount;
  private volatile boolean readyNoticeDue;

  // Inbound.
  private volatile int requestsToApply;
  private volatile int inboundQueued;
  // A message waiting is a byte[] holding just the message, a MessageAfterMetadata, or a RetainedPayload.
  private Object firstInbound; // call executor only: most calls never hold more than one message
  private ArrayDeque<Object> inbound; // call executor only, messages after firstInbound
  private int requested; // call executor only
  private int consumedSinceGrant; // call executor only
  /** Messages granted beyond the initial window; raised by the executor before it sends the grant. */
  private volatile long granted;
  /** Messages admitted; receive thread only. */
  private long received;

  // ---------------------------------------------------------------------------------------------
  // Outbound

  /**
   * Spends one credit if there is one. Spending the last makes {@link #isReady} false; the onReady that
   * is then owed is marked by the grant that ends it ({@link #addCredits}), not here.
   */
  boolean takeCredit() {
    for (;;) {
      int c = sendCredits;
      if (c <= 0) {
        return false;
      }
      if (SEND_CREDITS.compareAndSet(this, c, c - 1)) {
        return true;
      }
    }
  }

  /**
   * The receiver granted {@code n} more messages. Returns true if queued messages or an onReady wait on
   * it: the call's executor must run.
   */
  boolean addCredits(int n) {
    int before = (int) SEND_CREDITS.getAndAdd(this, n);
    if (before <= 0) {
      // NOTE: the stream was not ready and this grant makes it ready. Deciding that from the add itself
      // (one atomic step on the credits) leaves no window: had the sender marked the notice after its
      // last credit's CAS, a grant landing between the two would report nothing and strand the onReady.
      readyNoticeDue = true;
      return true;
    }
    return queuedCount > 0 || readyNoticeDue;
  }

  /** Under the send lock: holds a message (or a terminal marker) until credit comes. */
  void enqueue(Object item) {
    if (queued == null) {
      queued = new ArrayDeque<>();
    }
    queued.add(item);
    queuedCount = queued.size();
    readyNoticeDue = true;
  }

  /** Under the send lock: the first waiting item, or null. */
  Object peekQueued() {
    return queued == null ? null : queued.peek();
  }

  /** Under the send lock: drops the first waiting item (after sending it). */
  void dropQueued() {
    queued.poll();
    queuedCount = queued.size();
  }

  /** Under the send lock: forgets every waiting item (the call ended). */
  void clearQueued() {
    if (queued != null) {
      queued.clear();
      queuedCount = 0;
    }
  }

  /** True if nothing waits and a message would go out at once. */
  boolean isReady() {
    return queuedCount == 0 && sendCredits > 0;
  }

  boolean hasQueued() {
    return queuedCount > 0;
  }

  /** True once if an onReady is owed and due now (the stream is ready again). */
  boolean takeReadyNotice() {
    if (readyNoticeDue && isReady()) {
      readyNoticeDue = false;
      return true;
    }
    return false;
  }

  /** Marks an onReady owed, as when the stream starts. */
  void owesReadyNotice() {
    readyNoticeDue = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Inbound

  /**
   * Receive thread: counts one inbound message against the window. False if the sender has exceeded
   * what it was granted (a misbehaving peer: the call must end rather than buffer without bound).
   */
  boolean admit() {
    if (++received > windowLimit()) {
      return false;
    }
    INBOUND_QUEUED.getAndAdd(this, 1);
    return true;
  }

  /** What the sender may have sent in all, for violation messages. */
  long windowLimit() {
    return Connection.INITIAL_WINDOW + granted;
  }

  long received() {
    return received;
  }

  /**
   * Call executor: an admitted message arrived for delivery: a byte[] holding just the message, or a
   * {@link RetainedPayload} (a zero-copy message, still in the transport's buffer).
   */
  void add(Object payload) {
    addWaiting(payload);
  }

  /**
   * Call executor: an admitted message arrived for delivery, the bytes of {@code payload} from {@code
   * offset} on (metadata came before it in the same frame): it is parsed where it lies, not copied.
   */
  void add(byte[] payload, int offset) {
    addWaiting(offset == 0 ? payload : new MessageAfterMetadata(payload, offset));
  }

  private void addWaiting(Object message) {
    if (firstInbound == null && (inbound == null || inbound.isEmpty())) {
      firstInbound = message;
      return;
    }
    if (inbound == null) {
      inbound = new ArrayDeque<>(4);
    }
    inbound.add(message);
  }

  /**
   * Call executor: the next message the application asked for, or null; {@link #parse} reads it.
   */
  Object nextToDeliver() {
    requested += (int) REQUESTS_TO_APPLY.getAndSet(this, 0);
    if (requested <= 0 || !hasUndelivered()) {
      return null;
    }
    requested--;
    INBOUND_QUEUED.getAndAdd(this, -1);
    Object next = firstInbound;
    if (next != null) {
      firstInbound = null;
      return next;
    }
    return inbound.poll();
  }

  /**
   * Parses a message {@link #nextToDeliver} returned. A retained payload is parsed where it lies; the
   * value then holds it ({@link HeldMessages}) if its marshaller reads in place, and otherwise (or if the
   * parse fails) it is released here.
   */
  static <T> T parse(Marshaller<T> marshaller, Object message) throws IOException {
    if (message instanceof byte[]) {
      byte[] bytes = (byte[]) message;
      return marshaller.parse(bytes, 0, bytes.length);
    }
    if (message instanceof RetainedPayload) {
      RetainedPayload payload = (RetainedPayload) message;
      T value;
      try {
        value = marshaller.parse(payload.buffer());
      } catch (IOException | RuntimeException | Error e) {
        payload.release();
        throw e;
      }
      if (value == null || !marshaller.readsInPlace() || !HeldMessages.hold(value, payload)) {
        payload.release();
      }
      return value;
    }
    MessageAfterMetadata m = (MessageAfterMetadata) message;
    return marshaller.parse(m.payload, m.offset, m.payload.length - m.offset);
  }

  /** A message that follows its frame's metadata in the payload's array: read there, not copied out. */
  private static final class MessageAfterMetadata {
    final byte[] payload;
    final int offset;

    MessageAfterMetadata(byte[] payload, int offset) {
      this.payload = payload;
      this.offset = offset;
    }
  }

  /** Call executor: true if messages wait that were not delivered. */
  boolean hasUndelivered() {
    return firstInbound != null || (inbound != null && !inbound.isEmpty());
  }

  /** Call executor: drops every undelivered message, releasing those still in a transport buffer. */
  void clearInbound() {
    int n = (firstInbound != null ? 1 : 0) + (inbound != null ? inbound.size() : 0);
    if (n == 0) {
      return; // the common case, at every call's end: no atomic step for nothing
    }
    discard(firstInbound);
    firstInbound = null;
    if (inbound != null) {
      for (Object m : inbound) {
        discard(m);
      }
      inbound.clear();
    }
    INBOUND_QUEUED.getAndAdd(this, -n);
  }

  /** Drops a message that will not be delivered: one still in a transport buffer is released. */
  static void discard(Object message) {
    if (message instanceof RetainedPayload) {
      ((RetainedPayload) message).release();
    }
  }

  /**
   * Call executor, after one message was delivered: the credit to grant back now (half a window's
   * worth at a time), or 0. The grant is counted before it is sent, so the receive thread never takes
   * the sender's next messages for a violation.
   */
  int consumed() {
    if (++consumedSinceGrant < Connection.INITIAL_WINDOW / 2) {
      return 0;
    }
    int grant = consumedSinceGrant;
    consumedSinceGrant = 0;
    granted += grant;
    return grant;
  }

  /**
   * Any thread: the application asks for {@code n} more messages. Returns true if messages are waiting,
   * so a delivery must be scheduled.
   */
  boolean request(int n) {
    REQUESTS_TO_APPLY.getAndAdd(this, n);
    // NOTE: the request is published before inboundQueued is read; the receive thread counts a message
    // in inboundQueued before it schedules its delivery, which applies requests: no message is left
    // waiting for a request already made.
    return inboundQueued > 0;
  }
}
