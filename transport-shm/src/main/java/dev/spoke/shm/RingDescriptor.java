package dev.spoke.shm;

/**
 * Layout of one descriptor ring: a control block of three cache lines, then {@code capacity} entries
 * of {@link FrameDescriptor#LENGTH} bytes. Every peer has two: host → peer and peer → host. The third
 * line says whether this ring's consumer is parked: a producer that just published reads it to know
 * whether to ring the consumer's doorbell (see {@link Doorbell}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  tail (u64): next position producers claim, by CAS            |   0
 *  +---------------------------------------------------------------+
 *  |  head (u64): next position the consumer reads, release        |  64
 *  +-------------------------------+-------------------------------+
 *  |  consumer parked (u32): 1 while|  depth high-water (u32), since | 128
 *  |  nobody polls the ring        |  2.2: written by the consumer  |
 *  +-------------------------------+-------------------------------+
 *  |  entries: capacity x 64 bytes                                 | 192
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p>Positions are 64-bit: the high {@link #EPOCH_BITS} bits hold the peer entry's epoch, the rest count
 * frames. An entry is published when its sequence word equals its position + 1, so a descriptor written
 * in an earlier epoch (or an earlier lap) is never mistaken for a new one.
 */
final class RingDescriptor {
  private RingDescriptor() {}

  static final int TAIL_OFFSET = 0;
  static final int HEAD_OFFSET = 64;
  static final int CONSUMER_PARKED_OFFSET = 128;
  /**
   * The most descriptors the consumer found waiting when it started a batch, in this epoch: a lower bound
   * of the deepest the ring got. Written (rarely: only a new maximum) by the consumer, on the line it
   * writes anyway.
   */
  static final int DEPTH_HIGH_WATER_OFFSET = 132;
  static final int ENTRIES_OFFSET = 192;
  static final int EPOCH_BITS = 16;
  static final int EPOCH_SHIFT = 64 - EPOCH_BITS;

  /** Bytes one ring of {@code capacity} entries takes. */
  static long length(int capacity) {
    return ENTRIES_OFFSET + (long) capacity * FrameDescriptor.LENGTH;
  }

  /** The first position of an epoch. */
  static long basePosition(int epoch) {
    return ((long) (epoch & ((1 << EPOCH_BITS) - 1))) << EPOCH_SHIFT;
  }

  /** Ring capacity must be a power of two, at least 2, at most 2^20. */
  static void checkCapacity(int capacity) {
    if (capacity < 2 || capacity > (1 << 20) || Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("ring capacity must be a power of two in [2, 2^20], got " + capacity);
    }
  }
}
