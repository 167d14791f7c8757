package dev.spoke.shm;

import java.nio.ByteBuffer;

/**
 * A {@link DescriptorRing} and a {@link Doorbell} in direct memory of their own (the same accesses as
 * on the mapped hub, without a hub file per test sample), the ring reset to epoch 0 and its consumer
 * at the start. Producer and consumer steps are written as {@link HubTransport} and {@link RingConsumer}
 * take them.
 */
final class PrivateRing {

  static final int EPOCH = 0;
  /** A {@link #publish} that found the ring full. */
  static final int FULL = 0;
  /** A {@link #publish} that failed for another reason (stale epoch, corrupt ring). */
  static final int REFUSED = -1;
  /** A {@link #consume} that found nothing published. */
  static final int NOTHING = 0;

  final SharedBuffer mem;
  final DescriptorRing ring;
  final Doorbell doorbell;

  PrivateRing(int capacity) {
    long ringLength = RingDescriptor.length(capacity);
    mem = new SharedBuffer(ByteBuffer.allocateDirect((int) ringLength + 64));
    ring = new DescriptorRing(mem, 0, capacity, "test ring");
    doorbell = new Doorbell(mem, ringLength); // its own cache line after the ring
    ring.reset(EPOCH);
    ring.startConsuming(EPOCH);
  }

  /**
   * A producer's send: claims a position, writes a descriptor stamped {@code stamp}, publishes it.
   *
   * @return 1 if published, {@link #FULL}, or {@link #REFUSED}
   */
  int publish(int stamp) {
    long position = ring.tryClaim(EPOCH);
    if (position == DescriptorRing.FULL) {
      return FULL;
    }
    if (position < 0) {
      return REFUSED;
    }
    StampedDescriptor.write(mem, ring.entryOffset(position), stamp);
    ring.publish(position);
    return 1;
  }

  /**
   * The consumer's step: reads the next descriptor if one is published and hands its entry back.
   *
   * @return its stamp, {@link StampedDescriptor#TORN}, or {@link #NOTHING}
   */
  int consume() {
    if (!ring.hasNext()) {
      return NOTHING;
    }
    int stamp = StampedDescriptor.read(mem, ring.entryOffset(ring.consumerPosition()));
    ring.advance();
    return stamp;
  }
}
