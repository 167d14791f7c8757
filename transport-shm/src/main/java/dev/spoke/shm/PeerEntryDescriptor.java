package dev.spoke.shm;

/**
 * Layout of one entry of the peer table. The host reserves an entry for a launch (FREE → RESERVED,
 * epoch bumped, token hash written); the plugin attaches with the right token and epoch (RESERVED →
 * ACTIVE by CAS); the host marks it DEAD when the plugin goes, reclaims, and frees it (DEAD → FREE).
 * The token itself is never in the file, only its hash, so a process that merely opens the file cannot
 * take an entry. A plugin that leaves on its own for a reason the host should know writes the reason
 * before it marks the entry DEAD (since layout 2.1); the host logs it when it reclaims the entry.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------+-------------------------------+
 *  |  state (u32)                  |  epoch (u32)                  |   0
 *  +-------------------------------+-------------------------------+
 *  |                          pid (u64)                            |   8
 *  |                  token hash (u64, SHA-256 prefix)             |  16
 *  |                  attached at, epoch millis (u64)              |  24
 *  +-------------------------------+-------------------------------+
 *  |  leave reason (u32)           |  leave detail (u32)           |  32
 *  |                  reserved to 64                               |  40
 *  +---------------------------------------------------------------+
 *  |  name: u32 length + up to 60 bytes UTF-8                      |  64
 *  +---------------------------------------------------------------+
 *  |          heartbeat, System.nanoTime (u64) — own line          | 128
 *  +-------------------------------+-------------------------------+
 *  |  doorbell seq (u32 futex)     |  reserved — own line          | 192
 *  +-------------------------------+-------------------------------+  256
 * </pre>
 */
final class PeerEntryDescriptor {
  private PeerEntryDescriptor() {}

  static final int STATE_OFFSET = 0;
  static final int EPOCH_OFFSET = 4;
  static final int PID_OFFSET = 8;
  static final int TOKEN_HASH_OFFSET = 16;
  static final int ATTACHED_MILLIS_OFFSET = 24;
  /** Why the plugin left, written by the plugin before it marks the entry DEAD; 0 for no reason given. */
  static final int LEAVE_REASON_OFFSET = 32;
  /** What goes with the reason (for {@link #LEFT_HUB_UNTRUSTED}: the hub state it kept reading). */
  static final int LEAVE_DETAIL_OFFSET = 36;
  static final int NAME_LENGTH_OFFSET = 64;
  static final int NAME_OFFSET = 68;
  static final int NAME_MAX_BYTES = 60;
  static final int HEARTBEAT_OFFSET = 128;
  static final int DOORBELL_OFFSET = 192;
  static final int LENGTH = 256;

  static final int FREE = 0;
  static final int RESERVED = 1;
  static final int ACTIVE = 2;
  static final int DEAD = 3;

  /** Leave reason: no reason given (a plugin that detached, or one of layout 2.0). */
  static final int LEFT_UNSAID = 0;
  /**
   * Leave reason: the hub's state word kept reading neither READY nor CLOSING for longer than the host
   * takes to repair its header, so the plugin could no longer trust the hub.
   */
  static final int LEFT_HUB_UNTRUSTED = 1;

  /** Why a plugin left, for a log line, from the entry's reason and detail; null if it gave none. */
  static String describeLeave(int reason, int detail) {
    if (reason == LEFT_HUB_UNTRUSTED) {
      return String.format("left the hub because it could not trust it: the hub's state word read 0x%08x, "
          + "neither READY nor CLOSING, for longer than the host takes to repair its header", detail);
    }
    return null;
  }

  static String stateName(int state) {
    switch (state) {
      case FREE:
        return "FREE";
      case RESERVED:
        return "RESERVED";
      case ACTIVE:
        return "ACTIVE";
      case DEAD:
        return "DEAD";
      default:
        return "UNKNOWN(" + state + ")";
    }
  }
}
