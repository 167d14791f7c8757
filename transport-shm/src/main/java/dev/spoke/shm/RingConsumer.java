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

import dev.spoke.StatusException;
import dev.spoke.internal.InboundDelivery;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.RetainedPayload;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer side of one hub transport: the only code that reads its inbound ring, decodes and
 * validates descriptors, delivers frames to the listener, and consumes the transport's overflow queue
 * (frames that delivering threads could not publish at once).
 *
 * <p><b>One owner at a time.</b> Whoever delivers holds the consumer role, taken by a CAS on {@code
 * owner}: the receive loop's leader ({@link #pollAsReceiver}), a blocking caller polling for its own
 * response ({@link #receiveOnCallerThread}), or the host's reclaim. Every method that touches consumer
 * state asserts that it runs on the owner. The role is given back when the poll ends, or earlier, through
 * {@link #relinquish()}, when application code that a delivered frame ran inline is about to block
 * (see {@link InboundDelivery}); the delivering thread then notices it lost the role and stops.
 * Closing, a violation and the host's reclaim become requests that the owner carries out: the next
 * owner (or the thread that ends the current ownership) releases the overflow of a closed transport.
 *
 * <p><b>Callers deliver responses only.</b> A blocking caller delivers frames addressed to calls this
 * side started (responses, closes and credits); it stops at the first frame of any other kind and leaves
 * it to the receive loop, so an application thread never runs another call's handler.
 *
 * <p><b>Validation</b>: every descriptor field is checked before use — kind, flags, payload mode, inline
 * length, size class, slot index, offset and length against the slot size, and the slot's state word,
 * which must say IN_FLIGHT from the remote to us at the descriptor's generation, so a stale or forged
 * descriptor can never deliver another message's bytes. The payload view is lent to the listener and
 * the slot freed when it returns. A bad descriptor stops delivery and is reported to the endpoint, which
 * disconnects the remote.
 *
 * <p>Thread-safe where it says so; the rest is the owner's.
 */
final class RingConsumer implements InboundDelivery.Role {

  private static final Logger log = LoggerFactory.getLogger(RingConsumer.class);
  private static final VarHandle OWNER;
  private static final VarHandle OWNER_STATE_CLEAR;
  private static final VarHandle CALLER_LOOKS;

  static {
    try {
      OWNER = MethodHandles.lookup().findVarHandle(RingConsumer.class, "owner", Thread.class);
      OWNER_STATE_CLEAR = MethodHandles.lookup().findVarHandle(RingConsumer.class, "ownerState",
          InboundDelivery.Delivering.class);
      CALLER_LOOKS = MethodHandles.lookup().findVarHandle(RingConsumer.class, "callerLooks", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final HubTransport transport;
  private final SharedBuffer mem;
  private final SlotAllocator slots;
  private final DescriptorRing in;
  private final int selfId;
  private final int remoteId;
  private final ReceiveLoop loop;

  /** The thread holding the consumer role, or null. */
  private volatile Thread owner;
  /** The delivering state of the owner that took the role to deliver (for the watchdog), or null. */
  private volatile InboundDelivery.Delivering ownerState;
  /** Frames delivered by callers polling for their own response rather than by the receive loop. */
  private final LongAdder deliveredByCallers = new LongAdder();
  /** How many times a blocking caller took the role; written by the holder, read by the loop. */
  private volatile int callerTakes;
  /**
   * For a loop that never parks: changes while blocking callers look at this ring for their responses
   * (any of them; racing writes may lose a count, but not the change). Opaque: a hint, which orders
   * nothing. Untouched under a loop that parks.
   */
  private int callerLooks;
  private final boolean countCallerLooks;
  /** Set by the owner when the remote wrote something invalid: nothing more is read. */
  private volatile boolean violated;

  // The owner's.
  private final FrameHeader inHeader = new FrameHeader();
  /** Set by {@link #deliver} when it stopped at a frame that is not a response (responses only). */
  private boolean stoppedAtOtherFrame;
  private final ByteBuffer inlineIn = ByteBuffer.allocate(INLINE_CAPACITY);
  private final ByteBuffer inlineInView = inlineIn.asReadOnlyBuffer();
  /** The payload lent to the listener right now, and its slot ({@link SlotAllocator#NONE}: inline). */
  private ByteBuffer lentPayload;
  private long lentSlot = SlotAllocator.NONE;

  // Many producers (threads that must not wait), one consumer (the owner).
  private final ConcurrentLinkedQueue<HubTransport.Pending> overflow = new ConcurrentLinkedQueue<>();
  private final AtomicInteger overflowCount = new AtomicInteger();
  /** Payload bytes held on the heap by queued frames (those that found no slot). */
  private final java.util.concurrent.atomic.AtomicLong overflowHeapBytes = new java.util.concurrent.atomic.AtomicLong();

  /**
   * The most frames one transport's overflow queue holds: far beyond what a reader that keeps up ever
   * leaves queued (a ring's worth, briefly), low enough that a reader that stopped cannot make the
   * sender hold without bound.
   */
  static final int MAX_QUEUED_FRAMES = 65_536;
  /** The most payload bytes queued frames may hold on the heap (those that found no free slot). */
  static final long MAX_QUEUED_HEAP_BYTES = 64L << 20;

  RingConsumer(HubTransport transport, SharedBuffer mem, SlotAllocator slots, DescriptorRing in, int selfId,
      int remoteId, ReceiveLoop loop) {
    this.transport = transport;
    this.mem = mem;
    this.slots = slots;
    this.in = in;
    this.selfId = selfId;
    this.remoteId = remoteId;
    this.loop = loop;
    this.countCallerLooks = loop != null && loop.neverParks();
  }

  // ---------------------------------------------------------------------------------------------
  // The role

  /** Takes the role if nobody holds it. {@code delivering}: frames may run application code. */
  private boolean tryAcquire(boolean delivering) {
    return tryAcquire(delivering, false);
  }

  /**
   * As {@link #tryAcquire(boolean)}; {@code asCaller}: for a caller waiting for its response, which
   * gives the role up before it runs application code (see InboundDelivery#enterAsCaller).
   */
  private boolean tryAcquire(boolean delivering, boolean asCaller) {
    Thread me = Thread.currentThread();
    if (delivering && InboundDelivery.takenOver()) {
      return false; // this thread's roles were taken over: it delivers nothing more until it starts afresh
    }
    if (owner != null || !OWNER.compareAndSet(this, null, me)) {
      return false;
    }
    if (delivering) {
      ownerState = InboundDelivery.current();
      if (asCaller) {
        InboundDelivery.enterAsCaller(this);
      } else {
        InboundDelivery.enter(this);
      }
    } else {
      ownerState = null;
    }
    return true;
  }

  /**
   * True if the calling thread holds the role. NOTE: the ring naming this thread is not enough: a
   * watchdog that took the thread's roles over (which the thread saw, and forgot them) still leaves it
   * named here until its second step (takeOverFrom) clears the role, which must not find the thread
   * delivering. So the thread's own registry of roles must say so too.
   */
  private boolean heldByCurrentThread() {
    return owner == Thread.currentThread() && InboundDelivery.holds(this);
  }

  private boolean assertOwner() {
    assert owner == Thread.currentThread()
        : "consumer of " + in.name() + " used by " + Thread.currentThread().getName() + ", owned by " + owner;
    return true;
  }

  /** Ends a delivering ownership: normally, or — if the role was taken over meanwhile — by forgetting it. */
  private void release() {
    InboundDelivery.leave(this);
    if (owner == Thread.currentThread() && !InboundDelivery.takenOver()) {
      giveBack();
    }
  }

  /**
   * The watchdog of this transport's process: {@code stuck}, which holds the role, ran application code
   * for too long and its roles were taken over ({@link InboundDelivery.Delivering#tryTakeOver}): release
   * the role on its behalf, so another thread can deliver. {@code stuck} touches consumer state no more
   * (it learns of the take-over when its application code returns).
   */
  void takeOverFrom(Thread stuck) {
    InboundDelivery.Delivering state = ownerState;
    if (!OWNER.compareAndSet(this, stuck, null)) {
      return;
    }
    OWNER_STATE_CLEAR.compareAndSet(this, state, null);
    if (transport.closedStatus() != null && overflowCount.get() > 0) {
      releaseOverflowIfUnowned();
    }
    if (loop.isParked()) {
      in.consumerParked(true);
      SharedBuffer.fullFence();
      if (hasInbound() || overflowCount.get() > 0) {
        loop.wake();
      }
    }
  }

  /** The delivering state of the role's holder, for the watchdog; null when free or held otherwise. */
  InboundDelivery.Delivering ownerState() {
    return ownerState;
  }

  /**
   * The owner is about to block in application code run by a frame it delivered: gives the role back
   * now (see the class comment). Runs on the owner.
   */
  @Override
  public void relinquish() {
    if (owner == Thread.currentThread()) {
      giveBack();
    }
  }

  private void giveBack() {
    assert assertOwner();
    if (transport.closedStatus() != null) {
      releaseOverflowOwned();
    }
    owner = null;
    // NOTE: `owner = null` precedes these reads; an enqueuer writes the count before it reads `owner`,
    // and the loop writes `parked` before it reads `owner`. So a frame queued to a closed transport
    // meanwhile is released by one of us, and a ring the parked loop skipped is re-armed by us.
    if (transport.closedStatus() != null && overflowCount.get() > 0) {
      releaseOverflowIfUnowned();
    }
    if (loop.isParked() && !loop.isLoopThread()) {
      in.consumerParked(true);
      SharedBuffer.fullFence();
      if (hasInbound() || overflowCount.get() > 0) {
        loop.wake();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Delivering

  /** No frame in the ring and none queued: looked at without the role, a hint. */
  private boolean nothingWaiting() {
    return !in.hasNextHint() && overflowCount.get() == 0;
  }

  /** The receive loop's leader: delivers up to {@code limit} frames if nobody else is delivering them. */
  int pollAsReceiver(int limit) {
    // NOTE: looked at before the role is taken: a spinning leader then pays a read of an idle ring, not
    // a CAS pair (and the thread-state bookkeeping) on the line a waiting caller takes the role through.
    // A frame published just after the look is found on the next round, or by the re-check before park.
    if (nothingWaiting()) {
      return 0;
    }
    if (!tryAcquire(true)) {
      return 0;
    }
    try {
      return deliver(limit, false);
    } finally {
      release();
    }
  }

  /**
   * A blocking caller waiting for a response on this transport delivers responses itself, when nobody
   * else is delivering: its response then crosses no thread at all. While it polls, the ring's parked
   * flag stays clear, so the remote rings no doorbell for frames someone is already spinning on.
   *
   * <p>The caller keeps the role from one poll to the next while only responses come (a spinning
   * caller would otherwise take and give it back, with the parked flag's write and a fence, on every
   * look), until {@link #endReceiveOnCallerThread}. It gives the role back at once when a frame of any
   * other kind is at the head, so that the receive loop delivers it.
   *
   * @return frames delivered (0 if none waited), or -1 if another thread is delivering right now
   */
  int receiveOnCallerThread(int limit) {
    if (owner == Thread.currentThread()) {
      if (!heldByCurrentThread()) {
        return -1; // named, but taken over: see heldByCurrentThread
      }
      countCallerLook();
      return deliverAsCaller(limit); // kept from this caller's previous poll
    }
    // A handler that runs inline and waits for a call of its own is handed its response by the loop:
    // were it to take the role, the watchdog would judge it by how long its handler has run.
    if (!transport.hasListener() || InboundDelivery.inApplicationCode()) {
      return -1;
    }
    countCallerLook();
    // NOTE: as in pollAsReceiver, an idle ring is looked at before the role is taken; only when there
    // is nothing to deliver and no parked flag to clear (whose clearing the role's release answers for).
    if (nothingWaiting() && !in.isConsumerParked()) {
      return 0;
    }
    if (!tryAcquire(true, true)) {
      return -1;
    }
    callerTakes = callerTakes + 1; // the role's holder only: no lost update
    in.consumerParked(false);
    return deliverAsCaller(limit);
  }

  /** A caller holding the role delivers responses, and keeps the role only while nothing else waits. */
  private int deliverAsCaller(int limit) {
    boolean keep = false;
    try {
      int delivered = deliver(limit, true);
      if (delivered > 0) {
        deliveredByCallers.add(delivered);
      }
      // Given back only when delivery stopped at a frame that is not a response (or the transport
      // closed): the receive loop's to deliver. NOTE: not judged by looking at the ring again: a
      // response published since the batch's last look would read as such a frame, and the caller
      // would hand its own response to the loop (waking it, if parked) instead of taking it next look.
      keep = owner == Thread.currentThread() && !InboundDelivery.takenOver() && transport.closedStatus() == null
          && !violated && !stoppedAtOtherFrame;
      return delivered;
    } finally {
      if (!keep) {
        release();
      }
    }
  }

  /**
   * The caller that polled through {@link #receiveOnCallerThread} stops waiting: gives back the role it
   * kept, if it still holds it. Safe to call on any path, whether or not it holds the role.
   */
  void endReceiveOnCallerThread() {
    if (heldByCurrentThread()) {
      release();
    }
    if (InboundDelivery.takenOver() && !InboundDelivery.inApplicationCode() && !InboundDelivery.holdsAny()) {
      // Its role was taken over while a callback it delivered ran long; back in its own code, the
      // thread may take roles again on its next wait.
      InboundDelivery.clearTakenOver();
    }
  }

  /**
   * Delivers up to {@code limit} inbound frames (only those addressed to this side's own calls when
   * {@code responsesOnly}) and flushes the overflow queue. Returns the frames handled. The owner only;
   * returns early if application code run by a frame gave the role away.
   */
  private int deliver(int limit, boolean responsesOnly) {
    assert assertOwner();
    stoppedAtOtherFrame = false;
    FrameListener l = transport.listener();
    if (l == null) {
      return 0;
    }
    if (transport.closedStatus() != null || violated) {
      releaseOverflowOwned();
      return 0;
    }
    Thread me = Thread.currentThread();
    int handled = flushOverflow();
    long batchStart = in.consumerPosition();
    int n = 0;
    for (; n < limit && in.hasNext(); n++) {
      if (transport.closedStatus() != null) {
        break; // a reclaim waits for this role
      }
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
      if (responsesOnly && (kind.sentByClient() || kind == FrameKind.GOAWAY)) {
        stoppedAtOtherFrame = true;
        break; // not a response: the receive loop's to deliver (see the class comment)
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
      lentPayload = payload;
      lentSlot = slotRef;
      try {
        l.onFrame(inHeader, payload);
      } catch (Throwable t) {
        if (MemoryFault.is(t)) {
          throw t; // the hub's memory faulted, not the listener: the hub's to handle (see MemoryFault)
        }
        log.error("[{}] listener failed on {} from {}", transport.localName(), inHeader, transport.remoteName(), t);
      } finally {
        // NOTE: a slot the listener retained is ALLOCATED to us now, so this free fails and leaves it be.
        if (slotRef != SlotAllocator.NONE && !slots.freeInFlight(slotRef, remoteId, selfId)) {
          log.trace("[{}] {} was retained, or reclaimed while its frame was delivered", transport.localName(),
              SlotAllocator.describe(slotRef));
        }
      }
      handled++;
      if (owner != me || InboundDelivery.takenOver()) {
        return handled; // application code this frame ran blocked: the role was given up or taken over
      }
    }
    in.noteDepth(batchStart, n == limit); // for the inspector's high-water mark: once per batch
    return handled;
  }

  /**
   * The listener, within onFrame and before it runs application code, keeps the payload it was lent:
   * its slot becomes ours (ALLOCATED to this side) and is freed when the handle is released, by any
   * thread. Null for an inline payload, a buffer that is not the one lent, or a slot reclaimed meanwhile.
   * The owner only.
   */
  RetainedPayload retain(ByteBuffer payload) {
    assert assertOwner();
    long ref = lentSlot;
    if (payload != lentPayload || ref == SlotAllocator.NONE || !slots.adopt(ref, remoteId, selfId)) {
      return null;
    }
    lentSlot = SlotAllocator.NONE; // once per frame
    ByteBuffer view = payload.duplicate(); // read-only, as lent; ours to move
    return new RetainedPayload(view, () -> slots.freeRetained(ref, selfId),
        SlotAllocator.describe(ref) + " from " + transport.remoteName());
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
    String message = transport.remoteName() + " wrote a bad descriptor at position "
        + DescriptorRing.positionInEpoch(position) + " of " + in.name() + ": " + what;
    transport.violation(message);
  }

  // ---------------------------------------------------------------------------------------------
  // The parked flag and the loop's re-check (the loop's leader)

  /** True if an inbound frame is waiting. Safe from any thread (a hint when not the owner). */
  boolean hasInbound() {
    return transport.hasListener() && transport.closedStatus() == null && !violated && in.hasNextHint();
  }

  /** The loop is about to park: arm the ring's flag unless a caller is polling it. */
  void receiverParking() {
    if (owner == null) {
      in.consumerParked(true);
    }
  }

  /** The loop is awake again: producers need not ring. */
  void receiverAwake() {
    in.consumerParked(false);
  }

  /** For the parking loop's re-check: frames wait that no caller is delivering. */
  boolean hasInboundForReceiver() {
    return owner == null && hasInbound();
  }

  /** How many times a blocking caller took the role so far: the loop sees whether callers poll this ring. */
  int callerTakes() {
    return callerTakes;
  }

  /**
   * A caller that looked at this ring found nothing in its time to spin and parks: a loop that never
   * parks, which parked while the caller looked (see callerLooks), spins again, so that the response,
   * when it comes, is delivered at once rather than after a wake-up of the loop and then one of the
   * caller. Any thread.
   */
  void callerParks() {
    if (countCallerLooks && loop.isParked()) {
      loop.wake();
    }
  }

  /** A caller looks at this ring, keeping the role from its last look or not (see callerLooks). */
  private void countCallerLook() {
    if (countCallerLooks) {
      CALLER_LOOKS.setOpaque(this, (int) CALLER_LOOKS.getOpaque(this) + 1);
    }
  }

  /** Changes while blocking callers look at this ring, under a loop that never parks (see callerLooks). */
  int callerLooks() {
    return (int) CALLER_LOOKS.getOpaque(this);
  }

  /** How many inbound frames were delivered by waiting callers themselves (the no-hand-off path). */
  long framesDeliveredByCallers() {
    return deliveredByCallers.sum();
  }

  // ---------------------------------------------------------------------------------------------
  // The overflow queue

  /** Frames queued for publishing. Any thread. */
  int overflowDepth() {
    return overflowCount.get();
  }

  /**
   * Queues a frame that could not be published at once and must not wait. Any thread.
   *
   * @throws StatusException {@code RESOURCE_EXHAUSTED} if the queue is at its bound: the other side is
   *     not reading what it is sent
   */
  void enqueue(HubTransport.Pending p) throws StatusException {
    long heap = p.heap != null ? p.heap.limit() : 0;
    if (overflowCount.get() >= MAX_QUEUED_FRAMES || (heap > 0 && overflowHeapBytes.get() + heap > MAX_QUEUED_HEAP_BYTES)) {
      throw dev.spoke.Status.RESOURCE_EXHAUSTED.withDescription(transport.remoteName() + " is not reading what it is sent: "
          + overflowCount.get() + " frames (" + overflowHeapBytes.get() + " bytes of them off the pool) already wait "
          + "for room in the ring to it; the limit is " + MAX_QUEUED_FRAMES + " frames and " + MAX_QUEUED_HEAP_BYTES
          + " bytes").asException();
    }
    overflowHeapBytes.addAndGet(heap);
    overflowCount.incrementAndGet();
    overflow.add(p);
    // NOTE: queued before `closed` and `owner` are read (see giveBack).
    if (transport.closedStatus() != null) {
      releaseOverflowIfUnowned();
      return;
    }
    if (!loop.isLoopThread() && loop.isParked()) {
      loop.wake(); // the loop flushes the queue; it may be parked for long with nothing to read
    }
  }

  /** The owner: publishes queued frames while there is room. Returns how many went out. */
  private int flushOverflow() {
    assert assertOwner();
    if (overflowCount.get() == 0) {
      return 0;
    }
    int sent = 0;
    HubTransport.Pending p;
    while ((p = overflow.peek()) != null) {
      long heap = p.heap != null ? p.heap.limit() : 0;
      try {
        if (!transport.publishQueued(p)) {
          return sent;
        }
      } catch (StatusException e) {
        log.debug("[{}] dropped a queued frame to {}: {}", transport.localName(), transport.remoteName(), e.getStatus());
        transport.releaseFrameSlot(p.slotRef);
      }
      overflow.poll();
      overflowHeapBytes.addAndGet(-heap);
      overflowCount.decrementAndGet();
      sent++;
    }
    return sent;
  }

  /** The owner, on a closed transport: frees every queued frame's slot. */
  private void releaseOverflowOwned() {
    assert assertOwner();
    HubTransport.Pending p;
    while ((p = overflow.poll()) != null) {
      overflowHeapBytes.addAndGet(-(p.heap != null ? p.heap.limit() : 0));
      overflowCount.decrementAndGet();
      transport.releaseFrameSlot(p.slotRef);
    }
  }

  /** The transport closed: releases its overflow now if nobody holds the role (else the owner will). */
  void releaseOverflowIfUnowned() {
    while (overflowCount.get() > 0 && tryAcquire(false)) {
      releaseOverflowOwned();
      owner = null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The host's reclaim

  /**
   * The host's reclaim of this transport's peer (its receive loop, with the transport already closed):
   * takes the role so that no thread is reading a slot the reclaim is about to free, and releases the
   * overflow. Returns false if another thread still holds the role (it lets go within one frame, or as
   * soon as a handler it runs blocks): try again later. On true, call {@link #endReclaim} after.
   */
  boolean beginReclaim() {
    if (!tryAcquire(false)) {
      return false;
    }
    releaseOverflowOwned();
    return true;
  }

  /** Ends what {@link #beginReclaim} began. */
  void endReclaim() {
    assert assertOwner();
    releaseOverflowOwned();
    owner = null;
  }

  /** The thread holding the role, for messages. */
  Thread owner() {
    return owner;
  }
}
