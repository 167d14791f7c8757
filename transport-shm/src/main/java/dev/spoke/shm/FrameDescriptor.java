package dev.spoke.shm;

/**
 * Layout of the 64-byte descriptor that carries one frame through a ring: the frame's header fields
 * verbatim, and either the payload inline (up to {@link #INLINE_CAPACITY} bytes) or a reference to the
 * slot that holds it. Producers write every field with plain stores, then the sequence with release;
 * the consumer reads the sequence with acquire, then the rest.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  sequence (u64): position + 1 once published                  |   0
 *  |  call id (u64)                                                |   8
 *  |  timeout nanos (u64)                                          |  16
 *  +-------------------------------+-------------------------------+
 *  |  method id (u32)              |  status (u32)                 |  24
 *  +-------------------------------+-------+-------+-------+-------+
 *  |  credits (u32)                | kind  | flags | mode  | class |  32
 *  +-------------------------------+-------+-------+-------+-------+
 *  |  payload length (u32)         |  inline bytes 0..19, or:      |  40
 *  |                               |  slot index (u32)             |  44
 *  |  slot generation (u32)        |  slot offset (u32)            |  48
 *  |  reserved (inline bytes 12..19)                               |  56
 *  +---------------------------------------------------------------+  64
 * </pre>
 */
final class FrameDescriptor {
  private FrameDescriptor() {}

  static final int LENGTH = 64;

  static final int SEQUENCE_OFFSET = 0;
  static final int CALL_ID_OFFSET = 8;
  static final int TIMEOUT_OFFSET = 16;
  static final int METHOD_ID_OFFSET = 24;
  static final int STATUS_OFFSET = 28;
  static final int CREDITS_OFFSET = 32;
  static final int KIND_OFFSET = 36;
  static final int FLAGS_OFFSET = 37;
  static final int MODE_OFFSET = 38;
  static final int SIZE_CLASS_OFFSET = 39;
  static final int PAYLOAD_LENGTH_OFFSET = 40;
  static final int INLINE_OFFSET = 44;
  static final int SLOT_INDEX_OFFSET = 44;
  static final int SLOT_GENERATION_OFFSET = 48;
  static final int SLOT_OFFSET_OFFSET = 52;

  /** Payload bytes that fit in the descriptor itself. */
  static final int INLINE_CAPACITY = LENGTH - INLINE_OFFSET;

  /** No payload, or the payload is inline. */
  static final byte MODE_INLINE = 0;
  /** The payload is in a slot of the pool. */
  static final byte MODE_SLOT = 1;
  /** An entry that carries nothing: the consumer skips it (written when a claimed entry must be given up). */
  static final byte MODE_PADDING = 2;
}
