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
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
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
 * <p><b>Receiving</b> (whoever holds the consumer lock: the receive loop, or a blocking caller waiting for
 * its response, which then crosses no thread at all — see {@link #receiveOnCallerThread}): every
 * descriptor field is checked before use — kind,
 * flags, payload mode, inline length, size class, slot index, offset and length against the slot size,
 * and the slot's state word, which must say IN_FLIGHT from the remote to us at the descriptor's
 * generation, so a stale or forged descriptor can never deliver another message's bytes. The payload
 * view is lent to the listener and the slot freed when it returns. A bad descriptor disconnects the
 * remote; it never crashes or stalls this side.
 *
 * <p>Thread-safe.
 */
public final class HubTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(HubTransport.class);
  private static final VarHandle CONSUMER;
  /** How many transports' frames the current thread is delivering as a caller (usually 0). */
  private static final ThreadLocal<int[]> CALLER_DELIVERING = ThreadLocal.withInitial(() -> new int[1]);
  private static final long FULL_RING_LOG_INTERVAL_NANOS = 1_000_000_000L;

  static {
    try {
      CONSUMER = MethodHandles.lookup().findVarHandle(HubTransport.class, "consumer", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What the host or the peer provides to a transport. */
  interface Endpoint {
    /** True while the remote side's peer entry is live in this transport's epoch. */
    boolean remoteAlive(HubTransport transport);

    /** The receive loop that serves this transport in this process. */
    ReceiveLoop receiveLoop();

    /** The remote wrote something invalid: disconnect it. Called on the receive thread. */
    void violation(HubTransport transport, String what);

    /** The transport was closed locally with {@code status}. */
    void closed(HubTransport transport, Status status);

    /** A picture of the hub parts a wait on this transport involves, for error messages. */
    String describe(HubTransport transport, boolean pool);
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
  private final ConcurrentLinkedQueue<Pending> overflow = new ConcurrentLinkedQueue<>();
  private final AtomicInteger overflowCount = new AtomicInteger();
  private final ThreadLocal<Frame> frames = ThreadLocal.withInitial(Frame::new);
  /** The thread delivering this transport's inbound frames now, or null. */
  private volatile Thread consumer;
  /** Frames delivered by callers polling for their own response rather than by the receive loop. */
  private final LongAdder deliveredByCallers = new LongAdder();

  // The consumer-lock holder only.
  private final FrameHeader inHeader = new FrameHeader();
  private final ByteBuffer inlineIn = ByteBuffer.allocate(INLINE_CAPACITY);
  private final ByteBuffer inlineInView = inlineIn.asReadOnlyBuffer();
  private boolean violated;

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
    this.maxPayloadLength = config.maxPayloadLength();
    this.sendTimeoutNanos = config.sendTimeout().toNanos();
    this.endpoint = endpoint;
    in.startConsuming(epoch);
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
      tellListenerClosed(already);
    }
    endpoint.receiveLoop().wake(); // poll this transport now, not when the loop next wakes
  }

  @Override
  public OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException {
    checkOpen();
    if (payloadLength < 0 || payloadLength > maxPayloadLength) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("a payload of " + payloadLength
          + " bytes exceeds the largest slot of the hub (" + maxPayloadLength + " bytes)").asException();
    }
    Frame f = frames.get();
    if (f.inUse) {
      f = new Frame(); // a frame of this thread is still open (claimed and not yet committed)
    }
    f.reset(payloadLength, deadlineNanos);
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
    return overflowCount.get();
  }

  /** How many inbound frames were delivered by waiting callers themselves (the no-hand-off path). */
  public long framesDeliveredByCallers() {
    return deliveredByCallers.sum();
  }

  /** Marks the transport closed and tells the listener; true the first time. */
  boolean closeLocally(Status status) {
    synchronized (this) {
      if (closed != null) {
        return false;
      }
      closed = status;
    }
    releaseOverflow();
    if (listener != null) {
      tellListenerClosed(status);
    }
    return true;
  }

  private void tellListenerClosed(Status status) {
    synchronized (this) {
      if (listenerToldClosed) {
        return;
      }
      listenerToldClosed = true;
    }
    try {
      listener.onTransportClosed(status);
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
    try {
      if (f.header.kind() == null) {
        throw new IllegalStateException("frame committed without a kind");
      }
      checkOpen();
      if (f.deadline == NO_WAIT || delivering()) {
        if (overflowCount.get() > 0 || !tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
          enqueueOverflow(f);
        }
        return;
      }
      if (overflowCount.get() > 0 || !tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
        awaitPublish(f);
      }
    } catch (StatusException | RuntimeException e) {
      releaseFrameSlot(f.slotRef);
      throw e;
    } finally {
      f.inUse = false;
    }
  }

  private void abort(Frame f) {
    if (f.inUse) {
      f.inUse = false;
      releaseFrameSlot(f.slotRef);
    }
  }

  private void releaseFrameSlot(long ref) {
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
      if (overflowCount.get() == 0 && tryPublish(f.header, f.payload, f.slotRef, f.heap)) {
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
      Status s = Status.UNAVAILABLE.withDescription(position == DescriptorRing.STALE_EPOCH
          ? remoteName + " has gone away (its peer entry was reused)"
          : "the ring to " + remoteName + " is corrupt: " + out);
      close(s);
      throw s.asException();
    }
    long e = out.entryOffset(position);
    int length = payload.limit();
    if (slotRef != SlotAllocator.NONE && !slots.markInFlight(slotRef, selfId, remoteId)) {
      // Cannot happen unless someone else freed our slot; keep the ring moving with an empty entry.
      writePadding(e);
      out.publish(position);
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

  private void enqueueOverflow(Frame f) {
    Pending p = new Pending();
    p.header.copyFrom(f.header);
    p.slotRef = f.slotRef;
    p.heap = f.heap;
    p.length = f.payload.limit();
    if (f.slotRef == SlotAllocator.NONE && f.heap == null) {
      byte[] bytes = new byte[f.payload.limit()];
      f.payload.get(0, bytes);
      p.inline = ByteBuffer.wrap(bytes);
    }
    p.sinceNanos = System.nanoTime();
    overflowCount.incrementAndGet();
    overflow.add(p);
    ReceiveLoop loop = endpoint.receiveLoop();
    if (!loop.isLoopThread() && loop.isParked()) {
      loop.wake(); // the loop flushes the queue; it may be parked for long with nothing to read
    }
  }

  /** Receive thread: publishes queued frames while there is room. Returns how many went out. */
  int flushOverflow() {
    if (overflowCount.get() == 0) {
      return 0;
    }
    int sent = 0;
    Pending p;
    while ((p = overflow.peek()) != null) {
      try {
        if (p.heap != null) {
          long ref = slots.tryAllocate(p.heap.limit(), selfId);
          if (ref == SlotAllocator.NONE) {
            if (System.nanoTime() - p.sinceNanos > sendTimeoutNanos) {
              close(Status.UNAVAILABLE.withDescription("a frame to " + remoteName + " waited "
                  + TimeUnit.NANOSECONDS.toSeconds(sendTimeoutNanos) + "s for a free slot: " + endpoint.describe(this, true)));
            }
            return sent;
          }
          ByteBuffer view = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, p.heap.limit());
          view.put(p.heap.duplicate().position(0));
          p.slotRef = ref;
          p.heap = null;
        }
        ByteBuffer payload = p.slotRef != SlotAllocator.NONE
            ? slots.view(SlotAllocator.refClass(p.slotRef), SlotAllocator.refIndex(p.slotRef), 0, p.length)
            : p.inline;
        if (!tryPublish(p.header, payload, p.slotRef, null)) {
          return sent;
        }
      } catch (StatusException e) {
        log.debug("[{}] dropped a queued frame to {}: {}", localName, remoteName, e.getStatus());
        releaseFrameSlot(p.slotRef);
      }
      overflow.poll();
      overflowCount.decrementAndGet();
      sent++;
    }
    return sent;
  }

  private void releaseOverflow() {
    Pending p;
    while ((p = overflow.poll()) != null) {
      overflowCount.decrementAndGet();
      releaseFrameSlot(p.slotRef);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Receiving (receive thread only)

  /** True if an inbound frame is waiting to be delivered. */
  boolean hasInbound() {
    return listener != null && closed == null && !violated && in.hasNext();
  }

  /**
   * True if this thread must not wait for room: it delivers frames (the receive loop, or a caller
   * polling for its response), and frames it holds up would wait for it.
   */
  private boolean delivering() {
    return endpoint.receiveLoop().isLoopThread() || CALLER_DELIVERING.get()[0] > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // The consumer lock

  /** The receive loop: delivers up to {@code limit} frames if no caller is delivering them. */
  int pollAsReceiver(int limit) {
    if (consumer != null || !CONSUMER.compareAndSet(this, null, Thread.currentThread())) {
      return 0;
    }
    try {
      return poll(limit);
    } finally {
      consumer = null;
    }
  }

  /**
   * Lets a blocking caller that waits for a response on this transport deliver inbound frames itself,
   * on its own thread, when no other thread is delivering them: the response then crosses no thread
   * hand-off at all. While it polls, the ring's parked flag stays clear, so the remote side rings no
   * doorbell for frames someone is already spinning on. Frames of other calls it finds are delivered
   * as the receive loop would (to their own executors).
   *
   * @return frames delivered (0 if none waited), or -1 if another thread is delivering right now
   */
  public int receiveOnCallerThread(int limit) {
    Thread me = Thread.currentThread();
    if (consumer == me) {
      // A handler run while this thread delivers (a direct-executor service) made a blocking call:
      // its response can only come in here, so keep delivering, as a nested loop would. The frame being
      // handled was already taken off the ring, and its slot is freed only when it returns.
      int delivered = poll(limit);
      return delivered > 0 ? delivered : RECEIVE_KEEP_POLLING;
    }
    if (consumer != null || listener == null || !CONSUMER.compareAndSet(this, null, me)) {
      return -1;
    }
    int[] depth = CALLER_DELIVERING.get();
    depth[0]++;
    try {
      in.consumerParked(false);
      int delivered = poll(limit);
      if (delivered > 0) {
        deliveredByCallers.add(delivered);
      }
      return delivered;
    } finally {
      depth[0]--;
      releaseFromCaller();
    }
  }

  private void releaseFromCaller() {
    consumer = null;
    ReceiveLoop loop = endpoint.receiveLoop();
    // NOTE: `consumer = null` precedes this read of `parked`; the loop writes `parked` before it reads
    // `consumer`. So either the loop sees the ring free and arms it itself, or we see the loop parked
    // and arm the ring for it, then re-check it.
    if (loop.isParked()) {
      in.consumerParked(true);
      SharedBuffer.fullFence();
      if (hasInbound() || overflowCount.get() > 0) {
        loop.wake();
      }
    }
  }

  /** The loop is about to park: arm the ring's flag unless a caller is polling it. */
  void receiverParking() {
    if (consumer == null) {
      in.consumerParked(true);
    }
  }

  /** The loop is awake again: producers need not ring. */
  void receiverAwake() {
    in.consumerParked(false);
  }

  /** For the parking loop's re-check: frames wait that no caller is delivering. */
  boolean hasInboundForReceiver() {
    return consumer == null && hasInbound();
  }

  /**
   * Delivers up to {@code limit} inbound frames to the listener and flushes the overflow queue.
   * Returns the number of frames handled. Only the holder of the consumer lock calls it.
   */
  private int poll(int limit) {
    FrameListener l = listener;
    if (l == null || closed != null || violated) {
      return 0;
    }
    int handled = flushOverflow();
    for (int n = 0; n < limit && in.hasNext(); n++) {
      long position = in.consumerPosition();
      long e = in.entryOffset(position);
      int kindCode = mem.getByte(e + KIND_OFFSET) & 0xFF;
      int flags = mem.getByte(e + FLAGS_OFFSET) & 0xFF;
      int mode = mem.getByte(e + MODE_OFFSET) & 0xFF;
      int length = mem.getInt(e + PAYLOAD_LENGTH_OFFSET);
      if (mode == FrameDescriptor.MODE_PADDING) {
        in.advance();
        continue;
      }
      FrameKind kind = FrameKind.fromCode(kindCode);
      if (kind == null) {
        reject(position, "unknown frame kind " + kindCode);
        return handled;
      }
      if ((flags & ~FrameHeader.KNOWN_FLAGS) != 0) {
        reject(position, "unknown flags 0x" + Integer.toHexString(flags));
        return handled;
      }
      long slotRef = SlotAllocator.NONE;
      ByteBuffer payload;
      if (mode == MODE_INLINE) {
        if (length < 0 || length > INLINE_CAPACITY) {
          reject(position, "inline payload length " + length + " outside [0, " + INLINE_CAPACITY + "]");
          return handled;
        }
        mem.getBytes(e + INLINE_OFFSET, inlineIn.array(), 0, length);
        inlineInView.limit(length).position(0);
        payload = inlineInView;
      } else if (mode == MODE_SLOT) {
        int sizeClass = mem.getByte(e + SIZE_CLASS_OFFSET) & 0xFF;
        int index = mem.getInt(e + SLOT_INDEX_OFFSET);
        int generation = mem.getInt(e + SLOT_GENERATION_OFFSET);
        int offset = mem.getInt(e + SLOT_OFFSET_OFFSET);
        String bad = checkSlotReference(sizeClass, index, generation, offset, length);
        if (bad != null) {
          reject(position, bad);
          return handled;
        }
        slotRef = SlotAllocator.ref(sizeClass, index, generation);
        payload = slots.readView(sizeClass, index, offset, length);
      } else {
        reject(position, "unknown payload mode " + mode);
        return handled;
      }
      inHeader.clear()
          .kind(kind)
          .flags(flags)
          .callId(mem.getLong(e + CALL_ID_OFFSET))
          .methodId(mem.getInt(e + METHOD_ID_OFFSET))
          .status(mem.getInt(e + STATUS_OFFSET))
          .credits(mem.getInt(e + CREDITS_OFFSET))
          .timeoutNanos(mem.getLong(e + TIMEOUT_OFFSET));
      in.advance(); // the entry is ours no more; the slot is, until we free it below
      try {
        l.onFrame(inHeader, payload);
      } catch (Throwable t) {
        log.error("[{}] listener failed on {} from {}", localName, inHeader, remoteName, t);
      } finally {
        if (slotRef != SlotAllocator.NONE && !slots.freeInFlight(slotRef, remoteId, selfId)) {
          log.debug("[{}] {} was reclaimed while its frame was delivered", localName, SlotAllocator.describe(slotRef));
        }
      }
      handled++;
    }
    return handled;
  }

  /** Null if the reference is valid and the slot is in flight to us; otherwise what is wrong. */
  private String checkSlotReference(int sizeClass, int index, int generation, int offset, int length) {
    if (sizeClass >= slots.classCount()) {
      return "size class " + sizeClass + " does not exist (the hub has " + slots.classCount() + ")";
    }
    if (index < 0 || index >= slots.slotCount(sizeClass)) {
      return "slot index " + index + " outside [0, " + slots.slotCount(sizeClass) + ") of class " + sizeClass;
    }
    int slotSize = slots.slotSize(sizeClass);
    if (offset < 0 || length < 0 || (long) offset + length > slotSize) {
      return "extent [" + offset + ", +" + length + ") outside the " + slotSize + "-byte slot " + index + " of class " + sizeClass;
    }
    long word = slots.stateWord(sizeClass, index);
    long expected = SlotDescriptor.stateWord(generation, SlotDescriptor.IN_FLIGHT, remoteId, selfId);
    if (word != expected) {
      return "slot " + index + " of class " + sizeClass + " is " + SlotDescriptor.stateName(SlotDescriptor.state(word))
          + " gen " + SlotDescriptor.generation(word) + " (owner " + SlotDescriptor.partyName(SlotDescriptor.owner(word))
          + ", receiver " + SlotDescriptor.partyName(SlotDescriptor.receiver(word)) + "), but the descriptor says IN_FLIGHT gen "
          + generation + " from " + SlotDescriptor.partyName(remoteId) + " to " + SlotDescriptor.partyName(selfId);
    }
    return null;
  }

  private void reject(long position, String what) {
    violated = true;
    String message = remoteName + " wrote a bad descriptor at position " + DescriptorRing.positionInEpoch(position)
        + " of " + in.name() + ": " + what;
    endpoint.violation(this, message);
  }

  // ---------------------------------------------------------------------------------------------

  /** The frame a thread is writing; reused per thread. */
  private final class Frame implements OutboundFrame {
    final FrameHeader header = new FrameHeader();
    final ByteBuffer inline = ByteBuffer.allocate(INLINE_CAPACITY);
    ByteBuffer payload;
    ByteBuffer heap;
    long slotRef;
    long deadline;
    boolean inUse;

    void reset(int length, long deadlineNanos) {
      inUse = true;
      deadline = deadlineNanos;
      slotRef = SlotAllocator.NONE;
      heap = null;
      header.clear();
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
      HubTransport.this.commit(this);
    }

    @Override
    public void abort() {
      HubTransport.this.abort(this);
    }
  }

  /** A frame waiting in the overflow queue. */
  private static final class Pending {
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
