package dev.spoke.shm;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link SlotAllocator} of one size class with a few slots, in direct memory of its own (the same
 * accesses as on the mapped hub, without a hub file per test sample), formatted: every slot FREE and
 * linked. Only the metadata is backed — the class's control block and the slots' records, where every
 * state word and the free list live; the tests never touch the slots' bytes.
 *
 * <p>A free that gives up linking its slot (the head stayed locked past its bounded wait) leaves it
 * FREE and off the list, by contract; {@link #free} notes which slots that happened to (from the
 * allocator's count of such frees, exact while one thread frees at a time), so a test can tell a slot
 * left off the list that way from one lost.
 *
 * <p>The inspection methods read with volatile loads and belong to a thread that runs after the others
 * (a jcstress arbiter).
 */
final class PrivatePool {

  /** What {@link #listProblem} returns for an intact list. */
  static final int INTACT = 0;
  static final int LOCKED = 1;
  static final int LINK_OUT_OF_RANGE = 2;
  static final int CYCLE_OR_DUPLICATE = 3;
  static final int LINKED_BUT_NOT_FREE = 4;
  static final int FREE_BUT_NOT_LINKED = 5;

  final int slotCount;
  final HubLayout layout;
  final SharedBuffer mem;
  final SlotAllocator slots;
  private final AtomicInteger gaveUp = new AtomicInteger();

  PrivatePool(int slotCount) {
    this.slotCount = slotCount;
    this.layout = new HubLayout(0, 2, List.of(SizeClass.of(64, slotCount)));
    long metadataEnd = layout.slotRecordOffset(0, slotCount);
    this.mem = new SharedBuffer(ByteBuffer.allocateDirect((int) metadataEnd));
    this.slots = new SlotAllocator(mem, layout);
    slots.format();
  }

  /** Allocates for {@code owner} from the one class; {@link SlotAllocator#NONE} if none is free. */
  long allocate(int owner) {
    return slots.tryAllocate(1, owner);
  }

  /** {@link SlotAllocator#freeAllocated}, noting whether it gave up linking the slot. */
  boolean free(long ref, int owner) {
    long before = slots.unlinkedFrees();
    boolean freed = slots.freeAllocated(ref, owner);
    noteGiveUp(ref, before);
    return freed;
  }

  /** {@link SlotAllocator#freeInFlight}, noting whether it gave up linking the slot. */
  boolean freeInFlight(long ref, int owner, int receiver) {
    long before = slots.unlinkedFrees();
    boolean freed = slots.freeInFlight(ref, owner, receiver);
    noteGiveUp(ref, before);
    return freed;
  }

  private void noteGiveUp(long ref, long unlinkedFreesBefore) {
    if (slots.unlinkedFrees() != unlinkedFreesBefore) {
      int bit = 1 << SlotAllocator.refIndex(ref);
      gaveUp.getAndUpdate(mask -> mask | bit);
    }
  }

  /** The slots whose free gave up linking them, one bit per index. */
  int gaveUpMask() {
    return gaveUp.get();
  }

  /** The slot's state word. */
  long word(int index) {
    return mem.getLongVolatile(layout.slotRecordOffset(0, index));
  }

  /** The free list's head word. */
  long head() {
    return mem.getLongVolatile(layout.classControlOffset(0));
  }

  /** Sets the head's lock bit as a stray write (or a host that died mid-rebuild) would leave it. */
  void lockHeadAsAStrayWrite() {
    long head = head();
    mem.putLongVolatile(layout.classControlOffset(0),
        SlotDescriptor.headWord(SlotDescriptor.tag(head), true, SlotDescriptor.index(head)));
  }

  /** The owner named by the slot's word if it is ALLOCATED, else -1. */
  int allocatedTo(int index) {
    long w = word(index);
    return SlotDescriptor.state(w) == SlotDescriptor.ALLOCATED ? SlotDescriptor.owner(w) : -1;
  }

  /** How many slots are FREE. */
  int freeCount() {
    int n = 0;
    for (int i = 0; i < slotCount; i++) {
      if (SlotDescriptor.state(word(i)) == SlotDescriptor.FREE) {
        n++;
      }
    }
    return n;
  }

  /** How many slots the free list links, walking it from the head (at most slotCount + 1 steps). */
  int linkedCount() {
    int n = 0;
    int i = SlotDescriptor.index(head());
    while (i != SlotDescriptor.NIL && i >= 0 && i < slotCount && n <= slotCount) {
      n++;
      i = SlotDescriptor.link(word(i));
    }
    return n;
  }

  /**
   * {@link #INTACT} if the head is unlocked and the list links every FREE slot exactly once, in
   * range, without a cycle, and nothing else; otherwise the first problem found.
   */
  int listProblem() {
    int problem = structureProblem();
    return problem != INTACT ? problem : unlinkedFreeMask() != 0 ? FREE_BUT_NOT_LINKED : INTACT;
  }

  /**
   * {@link #listProblem} but for FREE slots off the list, which a free that gave up may leave: the
   * head locked, a link out of range, a cycle, a slot linked twice or linked while not FREE.
   */
  int structureProblem() {
    long head = head();
    if (SlotDescriptor.locked(head)) {
      return LOCKED;
    }
    boolean[] linked = new boolean[slotCount];
    for (int i = SlotDescriptor.index(head); i != SlotDescriptor.NIL; ) {
      if (i < 0 || i >= slotCount) {
        return LINK_OUT_OF_RANGE;
      }
      if (linked[i]) {
        return CYCLE_OR_DUPLICATE;
      }
      linked[i] = true;
      long w = word(i);
      if (SlotDescriptor.state(w) != SlotDescriptor.FREE) {
        return LINKED_BUT_NOT_FREE;
      }
      i = SlotDescriptor.link(w);
    }
    return INTACT;
  }

  /** The FREE slots the list does not reach, one bit per index (walking at most slotCount links). */
  int unlinkedFreeMask() {
    int linked = 0;
    int i = SlotDescriptor.index(head());
    for (int steps = 0; i != SlotDescriptor.NIL && i >= 0 && i < slotCount && steps < slotCount; steps++) {
      linked |= 1 << i;
      i = SlotDescriptor.link(word(i));
    }
    int unlinked = 0;
    for (int s = 0; s < slotCount; s++) {
      if (SlotDescriptor.state(word(s)) == SlotDescriptor.FREE && (linked & (1 << s)) == 0) {
        unlinked |= 1 << s;
      }
    }
    return unlinked;
  }

  /** FREE slots off the list whose free did not give up: lost, one bit per index. */
  int lostMask() {
    return unlinkedFreeMask() & ~gaveUpMask();
  }
}
