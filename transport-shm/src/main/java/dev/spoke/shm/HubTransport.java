package dev.spoke.shm;

import static dev.spoke.shm.FrameDescriptor.CALL_ID_OFFSET;
import static dev.spoke.shm.FrameDescriptor.CREDITS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.FLAGS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.INLINE_CAPACITY;
import static dev.spoke.shm.FrameDescriptor.INLINE_OFFSET;
import static dev.spoke.shm.FrameDescriptor.KIND_OFFSET;
import static dev.spoke.shm.FrameDescriptor.METHOD_ID_OFFSET;
import static dev.spoke.shm.FrameDescriptor.MODE_INLINE;
import static dev.spoke.shm.FrameDescriptor.MODE_OFFSET;
import static dev.spoke.shm.FrameDescriptor.MODE_SLOT;
import static dev.spoke.shm.FrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static dev.spoke.shm.FrameDescriptor.SIZE_CLASS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.SLOT_GENERATION_OFFSET;
import static dev.spoke.shm.FrameDescriptor.SLOT_INDEX_OFFSET;
import static dev.spoke.shm.FrameDescriptor.SLOT_OFFSET_OFFSET;
import static dev.spoke.shm.FrameDescriptor.STATUS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.TIMEOUT_OFFSET;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.internal.InboundDelivery;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.RetainedPayload;
import dev.spoke.transport.Transport;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection through the hub, host ↔ one plugin, as a {@link Transport}: frames go out on one
 * descriptor ring and come in on the other, payloads live in slots of the shared pool.
 *
 * <p><b>Sending, zero-copy</b>: {@link #claim} reserves a slot (or, for payloads of at most {@value
 * FrameDescriptor#INLINE_CAPACITY} bytes, space inline in the descriptor) and lends a view of it; the
 * marshaller writes the message straight into shared memory; {@link OutboundFrame#commit} hands the slot
 * to the receiver (ALLOCATED → IN_FLIGHT), claims a ring entry, writes the 64-byte descriptor, publishes
 * it and rings the receiver's doorbell only if it is parked. {@link OutboundFrame#abort} frees the slot.
 * A slot is never leaked by a cancelled or failed send.
 *
 * <p><b>Waits</b> for a slot or a ring entry park with back-off, bounded by the call's deadline and
 * {@link HubConfig#sendTimeout()}, and name what they waited for. On the receive thread nothing waits:
 * a frame that finds no room joins an overflow queue that the receive loop flushes in order (and while
 * that queue is not empty, every other sender queues behind it, so a call's frames stay in order).
 *
 * <p><b>Receiving</b> is the job of the transport's {@link RingConsumer}, which one thread at a time owns:
 * the receive loop's leader, or a blocking caller waiting for its response, which then crosses no thread
 * at all (see {@link #receiveOnCallerThread}). It validates every descriptor field before use and reports
 * a bad one to the endpoint, which disconnects the remote; it never crashes or stalls this side.
 *
 * <p><b>Claim, then commit or abort — always.</b> A ring position, once claimed, is published on every
 * path: with the frame, or as padding when anything fails between the claim and the publish.
 *
 * <p>Thread-safe.
 */
public final class HubTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(HubTransport.class);
  private static final long FULL_RING_LOG_INTERVAL_NANOS = 1_000_000_000L;

  /** What the host or the peer provides to a transport. */
  interface Endpoint {
    /** True while the remote side's peer entry is live in this transport's epoch. */
    boolean remoteAlive(HubTransport transport);

    /** The receive loop that serves this transport in this process. */
    ReceiveLoop receiveLoop();

    /**
     * The remote wrote something invalid: disconnect it. Called on the thread holding the consumer role
     * (the receive loop's leader or a blocking caller), which stops delivering: it must not block, and
     * the disconnect itself (reclaim) is requested, not run here.
     */
    void violation(HubTransport transport, String what);

    /** The transport was closed locally with {@code status}. */
    void closed(HubTransport transport, Status status);

    /** A picture of the hub parts a wait on this transport involves, for error messages. */
    String describe(HubTransport transport, boolean pool);

    /**
     * An access to the hub's memory faulted ({@link MemoryFault}): checks the hub and returns the status
     * the caller is to see (the hub was lost: its file truncated or replaced), or null if the hub is
     * whole and the error is not the hub's to explain.
     */
    Status hubFault(HubTransport transport, Throwable fault);
  }

  private final SharedBuffer mem;
  private final SlotAllocator slots;
  private final DescriptorRing out;
  private final DescriptorRing in;
  private final Doorbell remoteDoorbell;
  private final int selfId;
  private final int remoteId;
  private final int epoch;
  private final String localName;
  private volatile String remoteName;
  private final int maxPayloadLength;
  private final long sendTimeoutNanos;
  /** When a full-ring timeout was last logged (System.nanoTime), so an overload logs once a second. */
  private final AtomicLong fullRingLoggedAt = new AtomicLong(System.nanoTime() - FULL_RING_LOG_INTERVAL_NANOS);
  /** Full-ring timeouts not logged since the last one that was. */
  private final AtomicLong fullRingUnlogged = new AtomicLong();
  private final Endpoint endpoint;

  private volatile FrameListener listener;
  private volatile Status closed;
  private volatile boolean listenerToldClosed;
  private final ThreadLocal<Frame> frames = ThreadLocal.withInitial(Frame::new);
  private final RingConsumer consumer;
  /** Host side: completes with the reason once the hub took back everything the remote held. */
  private final java.util.concurrent.CompletableFuture<String> reclaimed = new java.util.concurrent.CompletableFuture<>();

  HubTransport(
      SharedBuffer mem,
      SlotAllocator slots,
      DescriptorRing out,
      DescriptorRing in,
      Doorbell remoteDoorbell,
      int selfId,
      int remoteId,
      int epoch,
      String localName,
      String remoteName,
      HubConfig config,
      Endpoint endpoint) {
    this.mem = mem;
    this.slots = slots;
    this.out = out;
    this.in = in;
    this.remoteDoorbell = remoteDoorbell;
    this.selfId = selfId;
    this.remoteId = remoteId;
    this.epoch = epoch;
    this.localName = localName;
    this.remoteName = remoteName;
    // The hub's own largest slot: a plugin's config has the default classes, the host may have set others.
    this.maxPayloadLength = slots.slotSize(slots.classCount() - 1);
    this.sendTimeoutNanos = config.sendTimeout().toNanos();
    this.endpoint = endpoint;
    in.startConsuming(epoch);
    this.consumer = new RingConsumer(this, mem, slots, in, selfId, remoteId, endpoint.receiveLoop());
  }

  // ---------------------------------------------------------------------------------------------
  // Transport

  @Override
  public void start(FrameListener frameListener) {
    if (listener != null) {
      throw new IllegalStateException("transport " + localName + " → " + remoteName + " already started");
    }
    listener = frameListener;
    Status already = closed;
    if (already != null) {
      notifyListenerClosed(already, FrameListener.NONE_UNREAD);
    }
    endpoint.receiveLoop().wake(); // poll this transport now, not when the loop next wakes
  }

  /** Names the host's setting that raises the limit, with a size class that would hold the payload. */
  @Override
  public String payloadLimitAdvice(long payloadLength) {
    return HubConfig.largerSlotsAdvice(payloadLength, maxPayloadLength);
  }

  @Override
  public OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException {
    try {
      return claimFrame(payloadLength, deadlineNanos);
    } catch (InternalError e) {
      throw faultStatus(e).asException();
    }
  }

  private OutboundFrame claimFrame(int payloadLength, long deadlineNanos) throws StatusException {
    checkOpen();
    if (payloadLength < 0 || payloadLength > maxPayloadLength) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("a payload of " + payloadLength
          + " bytes exceeds the largest slot of the hub (" + maxPayloadLength + " bytes); "
          + payloadLimitAdvice(payloadLength)).asException();
    }
    Frame f = frames.get();
    if (f.inUse) {
      f = new Frame(); // a frame of this thread is still open (claimed and not yet committed)
    }
    f.reset(deadlineNanos);
    if (payloadLength <= INLINE_CAPACITY) {
      f.inline.clear().limit(payloadLength);
      f.payload = f.inline;
      return f;
    }
    long ref = slots.tryAllocate(payloadLength, selfId);
    if (ref == SlotAllocator.NONE) {
      if (deadlineNanos == NO_WAIT || delivering()) {
        // Never wait here: serialize on the heap; the receive loop moves it into a slot later.
        f.heap = ByteBuffer.allocate(payloadLength);
        f.payload = f.heap;
        return f;
      }
      ref = awaitSlot(payloadLength, deadlineNanos);
    }
    f.slotRef = ref;
    f.payload = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, payloadLength);
    return f;
  }

  @Override
  public int maxPayloadLength() {
    return maxPayloadLength;
  }

  @Override
  public void close(Status status) {
    if (closeLocally(status)) {
      endpoint.closed(this, status);
    }
  }

  @Override
  public String remoteName() {
    return remoteName;
  }

  void remoteName(String name) {
    this.remoteName = name;
  }

  /** This side's name in messages: "host", or the plugin's. */
  public String localName() {
    return localName;
  }

  /** Why the transport closed, or null while open. */
  public Status closedStatus() {
    return closed;
  }

  int remoteId() {
    return remoteId;
  }

  int epoch() {
    return epoch;
  }

  DescriptorRing outRing() {
    return out;
  }

  DescriptorRing inRing() {
    return in;
  }

  boolean hasListener() {
    return listener != null;
  }

  int overflowDepth() {
    return consumer.overflowDepth();
  }

  /** The consumer side: the inbound ring's reader and the overflow queue's consumer. */
  RingConsumer consumer() {
    return consumer;
  }

  FrameListener listener() {
    return listener;
  }

  /** How many inbound frames were delivered by waiting callers themselves (the no-hand-off path). */
  public long framesDeliveredByCallers() {
    return consumer.framesDeliveredByCallers();
  }

  @Override
  public RetainedPayload retainPayload(ByteBuffer payload) {
    return consumer.retain(payload);
  }

  @Override
  public int receiveOnCallerThread(int limit) {
    try {
      return consumer.receiveOnCallerThread(limit);
    } catch (InternalError e) {
      faultStatus(e); // the hub is lost: the transport is closed, and the caller's call with it
      return -1;
    }
  }

  @Override
  public void endReceiveOnCallerThread() {
    try {
      consumer.endReceiveOnCallerThread();
    } catch (InternalError e) {
      faultStatus(e); // the hub is lost: the transport is closed, and the caller's call with it
    }
  }

  @Override
  public void callerParks() {
    try {
      consumer.callerParks();
    } catch (InternalError e) {
      faultStatus(e); // the doorbell's word is in the lost hub: the transport is closed, and the call with it
    }
  }

  /** The receive loop that polls this transport's ring (for tests and diagnostics). */
  ReceiveLoop receiveLoop() {
    return endpoint.receiveLoop();
  }

  @Override
  public Status explainFault(Throwable error) {
    Throwable fault = error;
    for (int attempt = 0; ; attempt++) {
      try {
        // Any error met in the hub's memory is checked against the file: a payload copied out of a
        // truncated file can read as garbage (and fail to parse) before the JVM raises the fault.
        return endpoint.hubFault(this, fault);
      } catch (InternalError late) {
        // NOTE: HotSpot raises a fault met in compiled code at the thread's next safepoint check, which
        // can be here, while the first is looked at: the same hub's fault, once more. Bounded.
        if (attempt < 3 && MemoryFault.is(late)) {
          fault = late;
          continue;
        }
        throw late;
      }
    }
  }

  /**
   * The status a fault in the hub's memory means for the caller (the hub was lost), or the error
   * rethrown when it is not the hub's.
   */
  private Status faultStatus(InternalError e) {
    Status s = explainFault(e);
    if (s == null) {
      throw e;
    }
    return s;
  }

  /** Marks the transport closed and tells the listener; true the first time. */
  boolean closeLocally(Status status) {
    if (!markClosed(status)) {
      return false;
    }
    tellListenerClosed(status);
    return true;
  }

  /**
   * Marks the transport closed without telling the listener yet (the host's reclaim tells it once the
   * pool work is done, so that application code the listener runs cannot interleave with it); true the
   * first time. Sends fail from here on.
   */
  boolean markClosed(Status status) {
    synchronized (this) {
      if (closed != null) {
        return false;
      }
      closed = status;
    }
    consumer.releaseOverflowIfUnowned();
    return true;
  }

  /** Tells the listener the transport closed, once (if it has started). */
  void tellListenerClosed(Status status) {
    tellListenerClosed(status, FrameListener.NONE_UNREAD);
  }

  /**
   * Tells the listener the transport closed, once (if it has started), with the calls whose CALL_START
   * the peer never read ({@link FrameListener#onTransportClosed(Status, long[])}).
   */
  void tellListenerClosed(Status status, long[] unreadCallStarts) {
    if (listener != null) {
      notifyListenerClosed(status, unreadCallStarts);
    }
  }

  /**
   * Host side: completes, on the hub's receive loop, with the reason once the hub has reclaimed the
   * remote (its entry and every slot it held are back). Dependents must not block.
   */
  public java.util.concurrent.CompletionStage<String> reclaimed() {
    return reclaimed;
  }

  void markReclaimed(String reason) {
    reclaimed.complete(reason);
  }

  /** The consumer found a bad descriptor. */
  void violation(String what) {
    endpoint.violation(this, what);
  }

  private void notifyListenerClosed(Status status, long[] unreadCallStarts) {
    synchronized (this) {
      if (listenerToldClosed) {
        return;
      }
      listenerToldClosed = true;
    }
    try {
      listener.onTransportClosed(status, unreadCallStarts);
    } catch (Throwable t) {
      log.error("[{}] listener failed on close of the transport to {}", localName, remoteName, t);
    }
  }

  private void checkOpen() throws StatusException {
    Status s = closed;
    if (s != null) {
      throw s.getCode() == Status.Code.UNAVAILABLE ? s.asException()
          : Status.UNAVAILABLE.withDescription("the transport to " + remoteName + " is closed: " + s).asException();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  private long awaitSlot(int length, long deadlineNanos) throws StatusException {
    long start = System.nanoTime();
    long limit = Math.min(deadlineNanos, start + sendTimeoutNanos);
    boolean callDeadline = deadlineNanos - (start + sendTimeoutNanos) < 0;
    long parkNanos = 1_000;
    for (;;) {
      checkOpen();
      long ref = slots.tryAllocate(length, selfId);
      if (ref != SlotAllocator.NONE) {
        return ref;
      }
      long now = System.nanoTime();
      if (now - limit >= 0) {
        String what = String.format("no free slot for a payload of %d bytes to %s after waiting %.3fs (%s): %s",
            length, remoteName, (now - start) / 1e9, callDeadline ? "the call's deadline" : "the hub's send timeout",
            endpoint.describe(this, true));
        log.warn("[{}] {}", localName, what);
        throw Status.RESOURCE_EXHAUSTED.withDescription(what).asException();
      }
      LockSupport.parkNanos(Math.min(parkNanos, limit - now));
      parkNanos = Math.min(parkNanos * 2, 1_000_000);
    }
  }

  private void commit(Frame f) throws StatusException {
    if (!f.inUse) {
      throw new IllegalStateException("frame already committed or aborted");
    }
    assert f.claimedBy == Thread.currentThread()
        : "frame claimed by " + f.claimedBy.getName() + " committed by " + Thread.currentThread().getName();
    try {
      if (f.header.kind() == null) {
        throw new IllegalStateException("frame committed without a kind");
      }
      checkOpen();
      // NOTE: a payload on the heap (claimed by a thread that must not wait) goes through the queue
      // even if this thread may wait now: only the queue's flush moves it into a slot, so waiting for
      // room here would never publish it.
      if (f.heap != null || f.deadline == NO_WAIT || delivering()) {
        if (consumer.overflowDepth() > 0 || !tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
          enqueueOverflow(f);
        }
        return;
      }
      if (consumer.overflowDepth() > 0 || !tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
        awaitPublish(f);
      }
    } catch (StatusException | RuntimeException | Error e) {
      releaseFrameSlot(f.slotRef);
      throw e;
    } finally {
      f.release();
    }
  }

  private void abort(Frame f) {
    if (f.inUse) {
      long ref = f.slotRef;
      f.release();
      releaseFrameSlot(ref);
    }
  }

  void releaseFrameSlot(long ref) {
    if (ref != SlotAllocator.NONE) {
      slots.freeAllocated(ref, selfId); // false if it already went in flight; then the receiver frees it
    }
  }

  private void awaitPublish(Frame f) throws StatusException {
    long start = System.nanoTime();
    long limit = Math.min(f.deadline, start + sendTimeoutNanos);
    boolean callDeadline = f.deadline - (start + sendTimeoutNanos) < 0;
    long parkNanos = 1_000;
    for (;;) {
      checkOpen();
      if (!endpoint.remoteAlive(this)) {
        throw Status.UNAVAILABLE.withDescription(remoteName + " has gone away").asException();
      }
      if (consumer.overflowDepth() == 0 && tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
        return;
      }
      long now = System.nanoTime();
      if (now - limit >= 0) {
        String what = String.format("the ring to %s stayed full for %.3fs: %s",
            remoteName, (now - start) / 1e9, endpoint.describe(this, false));
        logFullRing(what, now);
        throw (callDeadline ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE).withDescription(what).asException();
      }
      LockSupport.parkNanos(Math.min(parkNanos, limit - now));
      // Poll quickly at first (room usually comes within microseconds), then less often the longer the
      // wait: hundreds of senders blocked on one overloaded peer must not take the CPU it needs to drain.
      long waited = now - start;
      parkNanos = Math.min(parkNanos * 2, Math.max(200_000, Math.min(5_000_000, waited / 10)));
    }
  }

  /** Logs a full-ring timeout, at most once a second per transport, saying how many went unlogged. */
  private void logFullRing(String what, long now) {
    long last = fullRingLoggedAt.get();
    if (now - last >= FULL_RING_LOG_INTERVAL_NANOS && fullRingLoggedAt.compareAndSet(last, now)) {
      long unlogged = fullRingUnlogged.getAndSet(0);
      log.warn("[{}] {}{}", localName, what, unlogged > 0 ? " (and " + unlogged + " more since the last report)" : "");
    } else {
      fullRingUnlogged.incrementAndGet();
    }
  }

  /**
   * Publishes one frame if the ring has room. {@code payload} is the inline bytes (position 0 to its
   * limit) when {@code slotRef} is NONE and {@code heap} null.
   *
   * @return false if the ring is full (nothing changed)
   */
  private boolean tryPublish(FrameHeader h, ByteBuffer payload, long slotRef, ByteBuffer heap) throws StatusException {
    if (heap != null) {
      return false; // still needs a slot: only the overflow flush moves it into one
    }
    long position = out.tryClaim(epoch);
    if (position < 0) {
      if (position == DescriptorRing.FULL) {
        return false;
      }
      // A tail of another epoch means the entry was reused — unless the entry still says our epoch
      // and is live: then somebody wrote over the tail, and the ring is what is wrong.
      boolean reused = position == DescriptorRing.STALE_EPOCH && !endpoint.remoteAlive(this);
      Status s = Status.UNAVAILABLE.withDescription(reused
          ? remoteName + " has gone away (its peer entry was reused)"
          : "the ring to " + remoteName + " is corrupt (" + (position == DescriptorRing.STALE_EPOCH
              ? "its tail carries another epoch than the live entry's " + epoch
              : "its head and tail make no sense") + "): " + out);
      close(s);
      throw s.asException();
    }
    // The position is ours: it is published on every path below, with the frame or as padding.
    long e = out.entryOffset(position);
    boolean published = false;
    try {
      int length = payload.limit();
      if (slotRef != SlotAllocator.NONE && !slots.markInFlight(slotRef, selfId, remoteId)) {
        // Somebody freed our slot while the frame was written; the padding keeps the ring moving. The
        // host does so when it takes this side's entry back (the connection closed under the call): it
        // marks the entry first, so the entry read after the failed CAS tells that apart from a fault.
        Status closedNow = closed;
        if (closedNow != null || !endpoint.remoteAlive(this)) {
          throw (closedNow != null ? closedNow : Status.UNAVAILABLE.withDescription("the connection to "
              + remoteName + " was taken back while a frame was being sent")).asException();
        }
        throw Status.INTERNAL.withDescription("lost ownership of " + SlotAllocator.describe(slotRef)
            + " before sending it to " + remoteName).asException();
      }
      mem.putLong(e + CALL_ID_OFFSET, h.callId());
      mem.putLong(e + TIMEOUT_OFFSET, h.timeoutNanos());
      mem.putInt(e + METHOD_ID_OFFSET, h.methodId());
      mem.putInt(e + STATUS_OFFSET, h.status());
      mem.putInt(e + CREDITS_OFFSET, h.credits());
      mem.putByte(e + KIND_OFFSET, (byte) h.kind().code());
      mem.putByte(e + FLAGS_OFFSET, (byte) h.flags());
      mem.putInt(e + PAYLOAD_LENGTH_OFFSET, length);
      if (slotRef != SlotAllocator.NONE) {
        mem.putByte(e + MODE_OFFSET, MODE_SLOT);
        mem.putByte(e + SIZE_CLASS_OFFSET, (byte) SlotAllocator.refClass(slotRef));
        mem.putInt(e + SLOT_INDEX_OFFSET, SlotAllocator.refIndex(slotRef));
        mem.putInt(e + SLOT_GENERATION_OFFSET, SlotAllocator.refGeneration(slotRef));
        mem.putInt(e + SLOT_OFFSET_OFFSET, 0);
      } else {
        mem.putByte(e + MODE_OFFSET, MODE_INLINE);
        mem.putByte(e + SIZE_CLASS_OFFSET, (byte) 0);
        if (length > 0) {
          mem.putBytes(e + INLINE_OFFSET, payload.array(), payload.arrayOffset(), length);
        }
      }
      out.publish(position);
      published = true;
    } finally {
      if (!published) {
        // Aborted between claim and publish (whatever was thrown): publish padding, or the consumer
        // would stop at this position for good. A slot marked in flight goes back to us and is freed by
        // the caller's release of the frame.
        writePadding(e);
        out.publish(position);
        if (slotRef != SlotAllocator.NONE && slots.isInFlight(slotRef, selfId, remoteId)) {
          slots.freeInFlight(slotRef, selfId, remoteId);
        }
      }
    }
    // NOTE: the CAS in markInFlight and this volatile read pair with the host's reclaim (state DEAD, then
    // a scan of the slots): either the scan sees IN_FLIGHT and frees the slot, or we see the remote gone.
    if (slotRef != SlotAllocator.NONE && !endpoint.remoteAlive(this)) {
      slots.freeInFlight(slotRef, selfId, remoteId);
    }
    // NOTE: the publish must precede the read of the consumer's parked flag (see Doorbell).
    SharedBuffer.fullFence();
    if (out.isConsumerParked()) {
      remoteDoorbell.wake();
    }
    return true;
  }

  private void writePadding(long e) {
    mem.putByte(e + KIND_OFFSET, (byte) 0);
    mem.putByte(e + MODE_OFFSET, FrameDescriptor.MODE_PADDING);
    mem.putInt(e + PAYLOAD_LENGTH_OFFSET, 0);
  }

  private void enqueueOverflow(Frame f) throws StatusException {
    Pending p = new Pending();
    p.header.copyFrom(f.header);
    p.heap = f.heap;
    p.length = f.payload.limit();
    if (f.slotRef != SlotAllocator.NONE) {
      // A queued frame holds no slot of the shared pool: frames waiting for a reader that does not keep
      // up would otherwise take the pool from every other plugin. Its bytes wait on the heap (bounded
      // per transport) and move into a slot again when there is room to send them.
      ByteBuffer copy = ByteBuffer.allocate(p.length);
      copy.put(f.payload.duplicate().position(0).limit(p.length)).flip();
      releaseFrameSlot(f.slotRef);
      f.slotRef = SlotAllocator.NONE;
      p.heap = copy;
    } else if (f.heap == null) {
      byte[] bytes = new byte[f.payload.limit()];
      f.payload.get(0, bytes);
      p.inline = ByteBuffer.wrap(bytes);
    }
    p.sinceNanos = System.nanoTime();
    consumer.enqueue(p);
  }

  /**
   * The consumer role's holder, flushing the overflow queue: publishes a queued frame if there is room
   * (moving a heap payload into a slot first). Returns false if it must wait (no slot, or a full ring).
   */
  boolean publishQueued(Pending p) throws StatusException {
    if (p.heap == null) {
      return tryPublish(p.header, p.inline, SlotAllocator.NONE, null);
    }
    if (!out.hasRoom()) {
      return false; // take no slot while the ring is full: queued frames hold none of the pool
    }
    long ref = slots.tryAllocate(p.heap.limit(), selfId);
    if (ref == SlotAllocator.NONE) {
      if (System.nanoTime() - p.sinceNanos > sendTimeoutNanos) {
        close(Status.UNAVAILABLE.withDescription("a frame to " + remoteName + " waited "
            + TimeUnit.NANOSECONDS.toSeconds(sendTimeoutNanos) + "s for a free slot: " + endpoint.describe(this, true)));
      }
      return false;
    }
    ByteBuffer view = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, p.heap.limit());
    view.put(p.heap.duplicate().position(0));
    view.position(0);
    boolean sent;
    try {
      sent = tryPublish(p.header, view, ref, null);
    } catch (StatusException | RuntimeException e) {
      releaseFrameSlot(ref);
      throw e;
    }
    if (!sent) {
      releaseFrameSlot(ref); // the ring filled meanwhile: the bytes stay on the heap
      return false;
    }
    p.heap = null;
    return true;
  }

  /**
   * True if this thread must not wait for room: it holds a delivery role (the receive loop's leader, or
   * a caller polling for its response), and frames it holds up would wait for it.
   */
  private static boolean delivering() {
    return InboundDelivery.holdsAny();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The frame a thread is writing. Reused by the thread's next claim once committed or aborted: {@link
   * #reset} clears every field a claim or a commit set, and {@link #release} drops every reference into
   * shared memory (a test checks both); a claim that finds it still open gets a fresh one.
   */
  final class Frame implements OutboundFrame {
    final FrameHeader header = new FrameHeader();
    final ByteBuffer inline = ByteBuffer.allocate(INLINE_CAPACITY);
    ByteBuffer payload;
    ByteBuffer heap;
    long slotRef = SlotAllocator.NONE;
    long deadline;
    boolean inUse;
    Thread claimedBy;

    void reset(long deadlineNanos) {
      inUse = true;
      claimedBy = Thread.currentThread();
      deadline = deadlineNanos;
      slotRef = SlotAllocator.NONE;
      heap = null;
      payload = null;
      header.clear();
    }

    /** Committed or aborted: the frame holds nothing of shared memory any more. */
    void release() {
      inUse = false;
      claimedBy = null;
      slotRef = SlotAllocator.NONE;
      heap = null;
      payload = null;
    }

    @Override
    public ByteBuffer payload() {
      return payload;
    }

    @Override
    public FrameHeader header() {
      return header;
    }

    @Override
    public void commit() throws StatusException {
      try {
        HubTransport.this.commit(this);
      } catch (InternalError e) {
        release();
        throw faultStatus(e).asException();
      }
    }

    @Override
    public void abort() {
      try {
        HubTransport.this.abort(this);
      } catch (InternalError e) {
        release();
        faultStatus(e); // the hub is lost: nothing is left to give back
      }
    }
  }

  /** A frame waiting in the overflow queue. */
  static final class Pending {
    final FrameHeader header = new FrameHeader();
    long slotRef = SlotAllocator.NONE;
    ByteBuffer heap;
    ByteBuffer inline;
    int length;
    long sinceNanos;
  }

  @Override
  public String toString() {
    return "HubTransport{" + localName + " → " + remoteName + ", epoch " + epoch + (closed != null ? ", closed" : "") + "}";
  }
}
