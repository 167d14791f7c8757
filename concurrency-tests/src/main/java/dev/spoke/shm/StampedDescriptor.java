package dev.spoke.shm;

import static dev.spoke.shm.FrameDescriptor.CALL_ID_OFFSET;
import static dev.spoke.shm.FrameDescriptor.CREDITS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.FLAGS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.INLINE_CAPACITY;
import static dev.spoke.shm.FrameDescriptor.INLINE_OFFSET;
import static dev.spoke.shm.FrameDescriptor.KIND_OFFSET;
import static dev.spoke.shm.FrameDescriptor.METHOD_ID_OFFSET;
import static dev.spoke.shm.FrameDescriptor.MODE_OFFSET;
import static dev.spoke.shm.FrameDescriptor.PAYLOAD_LENGTH_OFFSET;
import static dev.spoke.shm.FrameDescriptor.STATUS_OFFSET;
import static dev.spoke.shm.FrameDescriptor.TIMEOUT_OFFSET;

/**
 * A descriptor whose every field (all but the sequence) is derived from one number, its stamp, and
 * written with plain stores as a producer writes a frame: a reader that checks every field tells a
 * whole descriptor from a torn or stale one.
 */
final class StampedDescriptor {
  private StampedDescriptor() {}

  /** What {@link #read} returns for a descriptor whose fields do not agree with each other. */
  static final int TORN = -1;

  /** Writes the fields of the entry at {@code entry} for {@code stamp} (a positive number). */
  static void write(SharedBuffer mem, long entry, int stamp) {
    long callId = callId(stamp);
    mem.putLong(entry + CALL_ID_OFFSET, callId);
    mem.putLong(entry + TIMEOUT_OFFSET, ~callId);
    mem.putInt(entry + METHOD_ID_OFFSET, stamp);
    mem.putInt(entry + STATUS_OFFSET, stamp * 7);
    mem.putInt(entry + CREDITS_OFFSET, stamp ^ 0x5A5A5A5A);
    mem.putByte(entry + KIND_OFFSET, (byte) stamp);
    mem.putByte(entry + FLAGS_OFFSET, (byte) (stamp >>> 8));
    mem.putByte(entry + MODE_OFFSET, FrameDescriptor.MODE_INLINE);
    mem.putInt(entry + PAYLOAD_LENGTH_OFFSET, INLINE_CAPACITY);
    for (int i = 0; i < INLINE_CAPACITY; i++) {
      mem.putByte(entry + INLINE_OFFSET + i, (byte) (stamp + i));
    }
  }

  /** The stamp of the entry at {@code entry}, or {@link #TORN} if any field disagrees with it. */
  static int read(SharedBuffer mem, long entry) {
    int stamp = mem.getInt(entry + METHOD_ID_OFFSET);
    long callId = callId(stamp);
    boolean whole = mem.getLong(entry + CALL_ID_OFFSET) == callId
        && mem.getLong(entry + TIMEOUT_OFFSET) == ~callId
        && mem.getInt(entry + STATUS_OFFSET) == stamp * 7
        && mem.getInt(entry + CREDITS_OFFSET) == (stamp ^ 0x5A5A5A5A)
        && mem.getByte(entry + KIND_OFFSET) == (byte) stamp
        && mem.getByte(entry + FLAGS_OFFSET) == (byte) (stamp >>> 8)
        && mem.getByte(entry + MODE_OFFSET) == FrameDescriptor.MODE_INLINE
        && mem.getInt(entry + PAYLOAD_LENGTH_OFFSET) == INLINE_CAPACITY;
    for (int i = 0; whole && i < INLINE_CAPACITY; i++) {
      whole = mem.getByte(entry + INLINE_OFFSET + i) == (byte) (stamp + i);
    }
    return whole && stamp > 0 ? stamp : TORN;
  }

  private static long callId(int stamp) {
    return stamp * 0x9E3779B97F4A7C15L;
  }
}
