package dev.spoke.shm;

import static dev.spoke.shm.FrameDescriptor.SEQUENCE_OFFSET;
import static dev.spoke.shm.RingDescriptor.CONSUMER_PARKED_OFFSET;
import static dev.spoke.shm.RingDescriptor.DEPTH_HIGH_WATER_OFFSET;
import static dev.spoke.shm.RingDescriptor.HEAD_OFFSET;
import static dev.spoke.shm.RingDescriptor.TAIL_OFFSET;

/**
 * A bounded ring of 64-byte descriptors in the hub: many producers (any threads of one process), one
 * consumer (another process's receive thread). The design of Aeron's many-to-one ring, with a
 * sequence word per entry in place of a length.
 *
 * <p><b>Produce</b>: CAS the tail from t to t + 1 (that claims position t, exclusively), write the
 * entry's fields with plain stores, then store sequence = t + 1 with release. Room is checked against
 * a cached head, re-read with acquire only when the cache says full. <b>Consume</b>: at the private head
 * h, read the sequence with acquire; the entry is published iff it equals h + 1; read the fields, then
 * store head = h + 1 with release, which hands the entry back to producers.
 *
 * <p>Entries are claimed independently, so concurrent producers never lose, duplicate or tear a
 * descriptor: each owns its position from the CAS until the release store. The original's hang came
 * from a single-producer ring used by concurrent senders; this ring has no such assumption.
 *
 * <p>Positions carry the peer entry's epoch in their high bits ({@link RingDescriptor}), so a producer
 * of an earlier epoch fails its CAS, and nothing it writes late can look published to the new epoch's
 * consumer.
 *
 * <p>The consumer never reads the head back from shared memory: a misbehaving producer cannot move it.
 * A producer validates what it reads (head beyond tail means a corrupt ring).
 *
 * <p>Producer methods are thread-safe; consumer methods belong to the thread holding the ring's consumer
 * role ({@link RingConsumer}), which passes between threads with a happens-before edge.
 */
final class DescriptorRing {

  /** {@link #tryClaim} result: the ring is full. */
  static final long FULL = -1;
  /** {@link #tryClaim} result: the ring belongs to another epoch now (its peer left). */
  static final long STALE_EPOCH = -2;
  /** {@link #tryClaim} result: head and tail make no sense (written by a misbehaving peer). */
  static final long CORRUPT = -3;

  private static final long EPOCH_MASK = -1L << RingDescriptor.EPOCH_SHIFT;

  private final SharedBuffer mem;
  private final long base;
  private final int capacity;
  private final int mask;
  private final String name;
  private volatile long headCache;
  /** The consumer's private head: written by the consumer-role holder only (release), hinted at by others. */
  @SuppressWarnings("unused") // accessed through CONSUMER_HEAD as well
  private long consumerHead;
  /** The consumer's copy of the shared high-water mark, so only a new maximum is written. */
  private int depthHighWater;

  private static final java.lang.invoke.VarHandle CONSUMER_HEAD;

  static {
    try {
      CONSUMER_HEAD = java.lang.invoke.MethodHandles.lookup().findVarHandle(DescriptorRing.class, "consumerHead", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  DescriptorRing(SharedBuffer mem, long base, int capacity, String name) {
    RingDescriptor.checkCapacity(capacity);
    this.mem = mem;
    this.base = base;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.name = name;
  }

  String name() {
    return name;
  }

  int capacity() {
    return capacity;
  }

  /** Host only, while nobody uses the ring: empties it and starts the positions of {@code epoch}. */
  void reset(int epoch) {
    long start = RingDescriptor.basePosition(epoch);
    for (int i = 0; i < capacity; i++) {
      mem.putLong(entryOffsetAt(i) + SEQUENCE_OFFSET, 0);
    }
    mem.putIntVolatile(base + CONSUMER_PARKED_OFFSET, 0);
    mem.putIntVolatile(base + DEPTH_HIGH_WATER_OFFSET, 0);
    mem.putLongVolatile(base + HEAD_OFFSET, start);
    mem.putLongVolatile(base + TAIL_OFFSET, start);
    headCache = start;
  }

  // ---------------------------------------------------------------------------------------------
  // The consumer's parked flag (see Doorbell)

  /** Producer, after publishing and a full fence: true if the consumer must be woken. */
  boolean isConsumerParked() {
    return mem.getIntVolatile(base + CONSUMER_PARKED_OFFSET) != 0;
  }

  /** Consumer side: nobody polls this ring (true) or someone does (false). Writes only on a change. */
  void consumerParked(boolean parked) {
    int value = parked ? 1 : 0;
    if (mem.getIntVolatile(base + CONSUMER_PARKED_OFFSET) != value) {
      mem.putIntVolatile(base + CONSUMER_PARKED_OFFSET, value);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Producers

  /**
   * Claims the next position for a producer of {@code epoch}. Never waits.
   *
   * @return the position, or {@link #FULL}, {@link #STALE_EPOCH} or {@link #CORRUPT}
   */
  long tryClaim(int epoch) {
    long epochBits = RingDescriptor.basePosition(epoch);
    for (;;) {
      long tail = mem.getLongVolatile(base + TAIL_OFFSET);
      if ((tail & EPOCH_MASK) != epochBits) {
        return STALE_EPOCH;
      }
      long head = headCache;
      if (tail - head >= capacity || head - tail > 0) {
        head = mem.getLongAcquire(base + HEAD_OFFSET);
        // NOTE: the tail is re-read after the head: the head never passes the tail, so a head beyond a
        // tail read later can only be written by a misbehaving consumer. (Against the earlier read it
        // can be: other producers and the consumer may have moved on since.)
        long freshTail = mem.getLongVolatile(base + TAIL_OFFSET);
        if (head - freshTail > 0 || (head & EPOCH_MASK) != epochBits) {
          return (freshTail & EPOCH_MASK) != epochBits ? STALE_EPOCH : CORRUPT;
        }
        headCache = head;
        if (freshTail != tail) {
          continue;
        }
        if (tail - head >= capacity) {
          return FULL;
        }
      }
      if (mem.compareAndSetLong(base + TAIL_OFFSET, tail, tail + 1)) {
        return tail;
      }
    }
  }

  /** The offset of the entry at {@code position}, for writing or reading its fields. */
  long entryOffset(long position) {
    return entryOffsetAt((int) position & mask);
  }

  private long entryOffsetAt(int index) {
    return base + RingDescriptor.ENTRIES_OFFSET + (long) index * FrameDescriptor.LENGTH;
  }

  /** Publishes the entry at {@code position} once its fields are written. */
  void publish(long position) {
    // NOTE: release: every field store above happens-before a consumer's acquire read of the sequence.
    mem.putLongRelease(entryOffset(position) + SEQUENCE_OFFSET, position + 1);
  }

  // ---------------------------------------------------------------------------------------------
  // The consumer

  /** The consumer starts reading at the first position of {@code epoch}. */
  void startConsuming(int epoch) {
    consumerHead = RingDescriptor.basePosition(epoch);
    depthHighWater = 0;
  }

  /** The position the consumer reads next. */
  long consumerPosition() {
    return consumerHead;
  }

  /** True if the entry at the consumer's position is published. */
  boolean hasNext() {
    long position = consumerHead;
    return mem.getLongAcquire(entryOffset(position) + SEQUENCE_OFFSET) == position + 1;
  }

  /**
   * True if the entry at the consumer's position is published, read by a thread that does not hold the
   * consumer role (the parking loop's re-check): a hint, exact once the role's holder let go.
   */
  boolean hasNextHint() {
    long position = (long) CONSUMER_HEAD.getAcquire(this);
    return mem.getLongAcquire(entryOffset(position) + SEQUENCE_OFFSET) == position + 1;
  }

  /**
   * Consumer, at the end of a batch that began at {@code batchStart}: records how many descriptors the
   * batch found waiting if that is the most seen in this epoch. The count is what the batch took; only
   * when it stopped at its limit ({@code stoppedAtLimit}) is the tail read for what still waits, as the
   * tail's line is the producers' to CAS and a read of it per batch made each of their claims a miss.
   * A write only for a new maximum.
   */
  void noteDepth(long batchStart, boolean stoppedAtLimit) {
    long depth = consumerHead - batchStart;
    if (stoppedAtLimit) {
      depth += mem.getLongVolatile(base + TAIL_OFFSET) - consumerHead;
    }
    if (depth > depthHighWater && depth <= capacity) {
      depthHighWater = (int) depth;
      mem.putIntRelease(base + DEPTH_HIGH_WATER_OFFSET, (int) depth);
    }
  }

  /** The most descriptors one batch of the consumer found waiting, in this epoch (0 before 2.2). */
  int depthHighWater() {
    return mem.getIntAcquire(base + DEPTH_HIGH_WATER_OFFSET);
  }

  /** Hands the entry at the consumer's position back to producers and moves on. */
  void advance() {
    long next = consumerHead + 1;
    // NOTE: release: the role passes between threads through the consumer's owner field (a
    // happens-before edge); this only lets a non-owner's hint see a recent position.
    CONSUMER_HEAD.setRelease(this, next);
    // NOTE: release: our reads of the entry happen-before a producer reuses it.
    mem.putLongRelease(base + HEAD_OFFSET, next);
  }

  // ---------------------------------------------------------------------------------------------
  // Observers (snapshots, reclaim)

  long tailVolatile() {
    return mem.getLongVolatile(base + TAIL_OFFSET);
  }

  long headVolatile() {
    return mem.getLongVolatile(base + HEAD_OFFSET);
  }

  /** True if the entry at {@code position} is published (for reclaim, which reads a dead peer's rings). */
  boolean isPublished(long position) {
    return mem.getLongAcquire(entryOffset(position) + SEQUENCE_OFFSET) == position + 1;
  }

  /** A producer's hint: true if the ring had room when looked at (another producer may take it). */
  boolean hasRoom() {
    return tailVolatile() - mem.getLongAcquire(base + HEAD_OFFSET) < capacity;
  }

  /** Frames waiting in the ring, from the shared head and tail. */
  long depth() {
    long d = tailVolatile() - headVolatile();
    return d < 0 ? 0 : Math.min(d, capacity);
  }

  static long positionInEpoch(long position) {
    return position & ~EPOCH_MASK;
  }

  @Override
  public String toString() {
    long head = headVolatile();
    long tail = tailVolatile();
    return name + " (head " + positionInEpoch(head) + ", tail " + positionInEpoch(tail) + ", depth "
        + depth() + " of " + capacity + ")";
  }
}
