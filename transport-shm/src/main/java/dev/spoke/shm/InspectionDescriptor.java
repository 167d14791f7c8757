package dev.spoke.shm;

/**
 * Layout of the hub's inspection region (since layout 2.2): what the host knows and the hub alone does
 * not say, written by the host for {@code spoke-inspect} — the full names of the methods whose ids the
 * descriptors carry, and each plugin's calls in flight with their age and deadline.
 *
 * <p>The region follows the part of the file plugins map ({@link HubLayout#totalSize}); the header gives
 * its offset and length ({@link HubHeaderDescriptor#INSPECTION_OFFSET_OFFSET}), both 0 in older hubs.
 * Plugins never map it and the host never reads it back: it is the host's word to an inspector, and an
 * inspector checks every count and length in it before use, as it would any bytes a process of the same
 * user could have written.
 *
 * <pre>
 *  region header                         4096 bytes
 *    0  region version (u32)             4  max peers (u32)
 *  name table of the host's services     16384 bytes at 4096
 *  name table of peer p                  16384 bytes at 4096 + 16384 x (1 + p)
 *  call table of peer p                  4096 bytes at 4096 + 16384 x (1 + maxPeers) + 4096 x p
 * </pre>
 *
 * <p>A name table:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |  sequence (u64): odd while the host writes the table          |   0
 *  +-------------------------------+-------------------------------+
 *  |  epoch (u32) of the peer entry|  entries (u32)                |   8
 *  +-------------------------------+-------------------------------+
 *  |  bytes of entries (u32)       |  names left out (u32)         |  16
 *  +-------------------------------+-------------------------------+
 *  |  entries from 64: method id (u32), length in bytes (u32),     |  64
 *  |  the name in UTF-8, padded to 4 bytes                         |
 *  +---------------------------------------------------------------+ 16384
 * </pre>
 *
 * <p>A call table:
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  sequence (u64): odd while the host writes the table          |   0
 *  +-------------------------------+-------------------------------+
 *  |  epoch (u32)                  |  entries (u32)                |   8
 *  +-------------------------------+-------------------------------+
 *  |  calls in flight (u32)        |  reserved                     |  16
 *  +-------------------------------+-------------------------------+
 *  |  written at, System.nanoTime (u64)                            |  24
 *  +---------------------------------------------------------------+
 *  |  entries from 64, 32 bytes each, oldest first:                |  64
 *  |    call id (u64), method id (u32), flags (u32),               |
 *  |    started, System.nanoTime (u64), deadline (u64; 0: none)    |
 *  +---------------------------------------------------------------+ 4096
 * </pre>
 *
 * <p>Writing a table: sequence + 1 (odd, volatile), the fields (plain), sequence + 2 (release). Reading:
 * sequence (acquire), which must be even, the fields, a load fence, the sequence again: unchanged, or
 * read again (a bounded number of times).
 */
final class InspectionDescriptor {
  private InspectionDescriptor() {}

  static final int REGION_VERSION = 1;

  static final int REGION_VERSION_OFFSET = 0;
  static final int REGION_MAX_PEERS_OFFSET = 4;
  static final int REGION_HEADER_LENGTH = 4096;

  static final int SEQUENCE_OFFSET = 0;
  static final int EPOCH_OFFSET = 8;
  static final int COUNT_OFFSET = 12;

  static final int NAME_TABLE_LENGTH = 16384;
  static final int NAME_BYTES_OFFSET = 16;
  static final int NAMES_LEFT_OUT_OFFSET = 20;
  static final int NAME_ENTRIES_OFFSET = 64;
  /** Longest name a table holds, in bytes; longer ones are left out. */
  static final int NAME_MAX_BYTES = 1024;
  static final int NAME_ENTRY_HEADER = 8;

  static final int CALL_TABLE_LENGTH = 4096;
  static final int CALLS_IN_FLIGHT_OFFSET = 16;
  static final int WRITTEN_AT_OFFSET = 24;
  static final int CALL_ENTRIES_OFFSET = 64;
  static final int CALL_ENTRY_LENGTH = 32;
  static final int CALL_ID_OFFSET = 0;
  static final int CALL_METHOD_ID_OFFSET = 8;
  static final int CALL_FLAGS_OFFSET = 12;
  static final int CALL_STARTED_OFFSET = 16;
  static final int CALL_DEADLINE_OFFSET = 24;
  static final int CALL_CAPACITY = (CALL_TABLE_LENGTH - CALL_ENTRIES_OFFSET) / CALL_ENTRY_LENGTH;

  /** Call flag: the plugin made the call and the host serves it (else the host called the plugin). */
  static final int FLAG_FROM_PLUGIN = 1;
  /** Call flags bits 4–5: 0 unary, 1 server streaming, 2 client streaming, 3 bidirectional streaming. */
  static final int TYPE_SHIFT = 4;
  static final int TYPE_MASK = 3;
  static final int FLAG_HAS_DEADLINE = 1 << 8;

  /** Bytes of the region for a hub of {@code maxPeers}. */
  static long length(int maxPeers) {
    return REGION_HEADER_LENGTH + (long) NAME_TABLE_LENGTH * (1 + maxPeers) + (long) CALL_TABLE_LENGTH * maxPeers;
  }

  /** The name table of the host's services. */
  static long hostNameTable() {
    return REGION_HEADER_LENGTH;
  }

  /** The name table of peer {@code peer}'s services. */
  static long peerNameTable(int peer) {
    return REGION_HEADER_LENGTH + (long) NAME_TABLE_LENGTH * (1 + peer);
  }

  /** The call table of peer {@code peer}. */
  static long callTable(int maxPeers, int peer) {
    return REGION_HEADER_LENGTH + (long) NAME_TABLE_LENGTH * (1 + maxPeers) + (long) CALL_TABLE_LENGTH * peer;
  }

  /** Bytes a name of {@code nameBytes} takes in a name table. */
  static int nameEntryLength(int nameBytes) {
    return NAME_ENTRY_HEADER + ((nameBytes + 3) & ~3);
  }

  /** The method type names, by the 2-bit code of the call flags. */
  static final String[] TYPES = {"UNARY", "SERVER_STREAMING", "CLIENT_STREAMING", "BIDI_STREAMING"};
}
