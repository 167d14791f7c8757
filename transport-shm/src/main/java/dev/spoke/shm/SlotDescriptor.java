package dev.spoke.shm;

/**
 * Layout of the slot pool's metadata: per size class a control block holding the free list's head, and
 * per slot a 16-byte record holding its state word.
 *
 * <p>Class control block (128 bytes, own cache lines):
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  free-list head (u64): tag (31) | locked (1) | index (32)     |   0
 *  +-------------------------------+-------------------------------+
 *  |  slots in use (u32), since 2.2|  most ever in use (u32)       |   8
 *  +-------------------------------+-------------------------------+
 *  |  reserved                                                     |  16
 *  +---------------------------------------------------------------+ 128
 * </pre>
 *
 * <p>Slots in use counts the slots off the free list: every allocation adds one after its pop, every
 * free takes one off once its state is FREE (getAndAdd, on the cache line the head's CAS just took, so it costs
 * next to nothing), the host's reclaim of a dead peer's slots takes one off for each, and an allocator
 * raises the high-water mark by CAS when it passes it. A process that dies between a state change and its
 * count leaves the count off by one for good (a window of nanoseconds). Diagnostics only: nothing decides
 * anything by it.
 *
 * <p>Slot record (16 bytes):
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |  state word (u64): generation (32) | reserved (8) |           |   0
 *  |                    receiver (8) | owner (8) | state (8)       |
 *  |  ... when FREE:    generation (32) | next free index (24) |    |
 *  |                    state (8)                                  |
 *  +---------------------------------------------------------------+
 *  |  reserved (u64)                                               |   8
 *  +---------------------------------------------------------------+  16
 * </pre>
 *
 * <p>A slot is FREE (in the free list, or about to be linked into it), ALLOCATED (its owner is writing
 * into it) or IN_FLIGHT (a published descriptor refers to it; the receiver frees it). Every change is a
 * CAS on the whole state word, so it checks the generation too; freeing bumps the generation, so a stale
 * descriptor or a second free can never match. A FREE slot's word carries its free-list link where the
 * other states name owner and receiver: the link is published only by a CAS of the word, so a link and
 * the generation it belongs to can never be torn apart (a free's late link can never overwrite the link
 * a rebuild gave the slot). The free list's head carries a tag bumped on every change, against ABA.
 */
final class SlotDescriptor {
  private SlotDescriptor() {}

  static final int CLASS_CONTROL_LENGTH = 128;
  static final int FREE_HEAD_OFFSET = 0;
  static final int IN_USE_OFFSET = 8;
  static final int IN_USE_HIGH_WATER_OFFSET = 12;

  static final int RECORD_LENGTH = 16;
  static final int STATE_OFFSET = 0;

  static final int FREE = 0;
  static final int ALLOCATED = 1;
  static final int IN_FLIGHT = 2;

  /** Owner or receiver id of the host. Peers are 0 .. {@link #MAX_PEER_ID}. */
  static final int HOST_ID = 0xFE;
  /** Owner or receiver id meaning "none". */
  static final int NOBODY = 0xFF;
  static final int MAX_PEER_ID = 0xFD;

  /** The free-list index meaning "empty". */
  static final int NIL = -1;
  /** How a FREE word encodes {@link #NIL} in its 24-bit link. Slot indices stay below it. */
  static final int LINK_NIL = 0xFFFFFF;

  // --- state word ---

  static long stateWord(int generation, int state, int owner, int receiver) {
    return ((long) generation << 32) | ((long) (receiver & 0xFF) << 16) | ((long) (owner & 0xFF) << 8) | (state & 0xFF);
  }

  static int generation(long word) {
    return (int) (word >>> 32);
  }

  static int state(long word) {
    return (int) (word & 0xFF);
  }

  static int owner(long word) {
    return (int) ((word >>> 8) & 0xFF);
  }

  static int receiver(long word) {
    return (int) ((word >>> 16) & 0xFF);
  }

  /** The word of a FREE slot at {@code generation} whose free-list successor is {@code next} (or NIL). */
  static long freeWord(int generation, int next) {
    return ((long) generation << 32) | ((long) (next == NIL ? LINK_NIL : next & 0xFFFFFF) << 8) | FREE;
  }

  /** The free-list successor a FREE word names, or {@link #NIL}. */
  static int link(long freeWord) {
    int link = (int) ((freeWord >>> 8) & 0xFFFFFF);
    return link == LINK_NIL ? NIL : link;
  }

  // --- free-list head word ---

  static long headWord(long tag, boolean locked, int index) {
    return (tag << 33) | (locked ? 1L << 32 : 0) | (index & 0xFFFFFFFFL);
  }

  static long tag(long head) {
    return head >>> 33;
  }

  static boolean locked(long head) {
    return (head & (1L << 32)) != 0;
  }

  static int index(long head) {
    return (int) head;
  }

  static String stateName(int state) {
    switch (state) {
      case FREE:
        return "FREE";
      case ALLOCATED:
        return "ALLOCATED";
      case IN_FLIGHT:
        return "IN_FLIGHT";
      default:
        return "UNKNOWN(" + state + ")";
    }
  }

  static String partyName(int id) {
    return id == HOST_ID ? "host" : id == NOBODY ? "-" : "peer " + id;
  }
}
