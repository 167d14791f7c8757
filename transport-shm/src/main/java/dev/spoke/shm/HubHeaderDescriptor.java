package dev.spoke.shm;

/**
 * Layout of the hub file's header: identity, configuration, the host's liveness, and the host's
 * doorbell. The host writes everything, then {@link #HUB_STATE} = READY with release: a peer that reads
 * READY with acquire sees a complete layout. Fields written often live on cache lines of their own.
 *
 * <p>Everything but the two live words (the host heartbeat and the host doorbell, {@link #isLiveWord})
 * is written once by the host, which keeps its own copy and puts back any field another process
 * overwrites ({@link HubHeaderGuard}); reserved bytes are zero and are held to it too.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic "SPOKEHUB" (u64)                    |   0
 *  +-------------------------------+-------------------------------+
 *  |  layout version (u32)         |  hub state (u32)              |   8
 *  +-------------------------------+-------------------------------+
 *  |                       total size (u64)                        |  16
 *  |                       host pid (u64)                          |  24
 *  |             host start time, epoch millis (u64)               |  32
 *  +-------------------------------+-------------------------------+
 *  |  max peers (u32)              |  ring capacity (u32)          |  40
 *  |  size class count (u32)       |  reserved                     |  48
 *  +-------------------------------+-------------------------------+
 *  |                 peer table offset (u64)                       |  56
 *  |                 rings offset (u64)                            |  64
 *  |                 class control offset (u64)                    |  72
 *  +-------------------------------+-------------------------------+
 *  |  heartbeat interval, ms (u32) |  heartbeat timeout, ms (u32)  |  80
 *  +-------------------------------+-------------------------------+
 *  |        inspection region offset (u64), since 2.2; 0 before    |  88
 *  |        inspection region length (u64), since 2.2; 0 before    |  96
 *  |                 reserved to 128                               | 104
 *  +---------------------------------------------------------------+
 *  |        host heartbeat, System.nanoTime (u64) — own line       | 128
 *  +-------------------------------+-------------------------------+
 *  |  host doorbell seq (u32 futex)|  reserved — own line          | 192
 *  +-------------------------------+-------------------------------+
 *  |  size class table: 16 x 32 bytes                              | 256
 *  |    slot size (u32) | slot count (u32) | meta offset (u64)     |
 *  |    data offset (u64) | reserved (u64)                         |
 *  +---------------------------------------------------------------+
 *  |  reserved to 4096                                             | 768
 *  +---------------------------------------------------------------+
 * </pre>
 */
final class HubHeaderDescriptor {
  private HubHeaderDescriptor() {}

  /** "SPOKEHUB" read as a little-endian long; a big-endian host reads it byte-swapped (foreign). */
  static final long MAGIC = 0x4255484B454B4F50L;
  /**
   * Major in the high 16 bits: a different major cannot be read. Minor: additive changes, which older
   * readers of the same major ignore. 2.0: a FREE slot's word carries its free-list link. 2.1: the peer
   * entry's leave reason. 2.2: the inspection region ({@link InspectionDescriptor}, placed by the header
   * at {@link #INSPECTION_OFFSET_OFFSET}), slots-in-use counters and high-water marks in the class control
   * blocks, and a depth high-water mark in each ring.
   */
  static final int LAYOUT_VERSION = (2 << 16) | 2;

  static final int MAGIC_OFFSET = 0;
  static final int LAYOUT_VERSION_OFFSET = 8;
  static final int HUB_STATE = 12;
  static final int TOTAL_SIZE_OFFSET = 16;
  static final int HOST_PID_OFFSET = 24;
  static final int HOST_START_MILLIS_OFFSET = 32;
  static final int MAX_PEERS_OFFSET = 40;
  static final int RING_CAPACITY_OFFSET = 44;
  static final int SIZE_CLASS_COUNT_OFFSET = 48;
  static final int PEER_TABLE_OFFSET_OFFSET = 56;
  static final int RINGS_OFFSET_OFFSET = 64;
  static final int CLASS_CONTROL_OFFSET_OFFSET = 72;
  /** The host's heartbeat settings, so every plugin judges liveness the way the host was configured to. */
  static final int HEARTBEAT_INTERVAL_MILLIS_OFFSET = 80;
  static final int HEARTBEAT_TIMEOUT_MILLIS_OFFSET = 84;
  /** Where the inspection region starts and how long it is: after the part plugins map; 0 and 0 before 2.2. */
  static final int INSPECTION_OFFSET_OFFSET = 88;
  static final int INSPECTION_LENGTH_OFFSET = 96;
  static final int HOST_HEARTBEAT_OFFSET = 128;
  static final int HOST_DOORBELL_OFFSET = 192;
  static final int SIZE_CLASS_TABLE_OFFSET = 256;
  static final int SIZE_CLASS_ENTRY_SIZE = 32;
  static final int MAX_SIZE_CLASSES = 16;
  static final int CLASS_SLOT_SIZE = 0;
  static final int CLASS_SLOT_COUNT = 4;
  static final int CLASS_META_OFFSET = 8;
  static final int CLASS_DATA_OFFSET = 16;
  static final int LENGTH = 4096;

  static final int STATE_INITIALIZING = 0;
  static final int STATE_READY = 1;
  static final int STATE_CLOSING = 2;

  /** "2.2" for the layout version word {@code version}. */
  static String versionName(int version) {
    return (version >>> 16) + "." + (version & 0xFFFF);
  }

  static int sizeClassEntryOffset(int sizeClass) {
    return SIZE_CLASS_TABLE_OFFSET + sizeClass * SIZE_CLASS_ENTRY_SIZE;
  }

  /**
   * True for the bytes of the two words written continually (the host heartbeat, the host doorbell's
   * sequence), which are not part of what the host holds the header to.
   */
  static boolean isLiveWord(int offset) {
    return (offset >= HOST_HEARTBEAT_OFFSET && offset < HOST_HEARTBEAT_OFFSET + 8)
        || (offset >= HOST_DOORBELL_OFFSET && offset < HOST_DOORBELL_OFFSET + 4);
  }

  /** The name of the field holding the byte at {@code offset}, for messages. */
  static String fieldName(int offset) {
    if (offset >= SIZE_CLASS_TABLE_OFFSET && offset < sizeClassEntryOffset(MAX_SIZE_CLASSES)) {
      int c = (offset - SIZE_CLASS_TABLE_OFFSET) / SIZE_CLASS_ENTRY_SIZE;
      int f = (offset - SIZE_CLASS_TABLE_OFFSET) % SIZE_CLASS_ENTRY_SIZE;
      String what = f < CLASS_SLOT_COUNT ? "slot size" : f < CLASS_META_OFFSET ? "slot count"
          : f < CLASS_DATA_OFFSET ? "records offset" : f < CLASS_DATA_OFFSET + 8 ? "data offset" : "reserved";
      return "size class " + c + " " + what;
    }
    if (offset < LAYOUT_VERSION_OFFSET) {
      return "magic";
    }
    if (offset < HUB_STATE) {
      return "layout version";
    }
    if (offset < TOTAL_SIZE_OFFSET) {
      return "hub state";
    }
    if (offset < HOST_PID_OFFSET) {
      return "total size";
    }
    if (offset < HOST_START_MILLIS_OFFSET) {
      return "host pid";
    }
    if (offset < MAX_PEERS_OFFSET) {
      return "host start time";
    }
    if (offset < RING_CAPACITY_OFFSET) {
      return "max peers";
    }
    if (offset < SIZE_CLASS_COUNT_OFFSET) {
      return "ring capacity";
    }
    if (offset < SIZE_CLASS_COUNT_OFFSET + 4) {
      return "size class count";
    }
    if (offset >= PEER_TABLE_OFFSET_OFFSET && offset < RINGS_OFFSET_OFFSET) {
      return "peer table offset";
    }
    if (offset >= RINGS_OFFSET_OFFSET && offset < CLASS_CONTROL_OFFSET_OFFSET) {
      return "rings offset";
    }
    if (offset >= CLASS_CONTROL_OFFSET_OFFSET && offset < HEARTBEAT_INTERVAL_MILLIS_OFFSET) {
      return "class control offset";
    }
    if (offset >= HEARTBEAT_INTERVAL_MILLIS_OFFSET && offset < HEARTBEAT_TIMEOUT_MILLIS_OFFSET) {
      return "heartbeat interval";
    }
    if (offset >= HEARTBEAT_TIMEOUT_MILLIS_OFFSET && offset < HEARTBEAT_TIMEOUT_MILLIS_OFFSET + 4) {
      return "heartbeat timeout";
    }
    if (offset >= INSPECTION_OFFSET_OFFSET && offset < INSPECTION_LENGTH_OFFSET) {
      return "inspection region offset";
    }
    if (offset >= INSPECTION_LENGTH_OFFSET && offset < INSPECTION_LENGTH_OFFSET + 8) {
      return "inspection region length";
    }
    if (offset >= HOST_HEARTBEAT_OFFSET && offset < HOST_HEARTBEAT_OFFSET + 8) {
      return "host heartbeat";
    }
    if (offset >= HOST_DOORBELL_OFFSET && offset < HOST_DOORBELL_OFFSET + 4) {
      return "host doorbell";
    }
    return "reserved";
  }

  static String stateName(int state) {
    switch (state) {
      case STATE_INITIALIZING:
        return "INITIALIZING";
      case STATE_READY:
        return "READY";
      case STATE_CLOSING:
        return "CLOSING";
      default:
        return "UNKNOWN(" + state + ")";
    }
  }
}
