package dev.spoke.shm;

import static dev.spoke.shm.SlotDescriptor.ALLOCATED;
import static dev.spoke.shm.SlotDescriptor.FREE;
import static dev.spoke.shm.SlotDescriptor.IN_FLIGHT;
import static dev.spoke.shm.SlotDescriptor.NEXT_OFFSET;
import static dev.spoke.shm.SlotDescriptor.NIL;
import static dev.spoke.shm.SlotDescriptor.NOBODY;

import java.nio.ByteBuffer;

/**
 * The shared slot pool: per size class a lock-free free list (a Treiber stack whose head carries an
 * ABA tag) over slot records whose state words are the single source of truth about ownership.
 *
 * <p><b>Allocate</b> (any process): read the head, read the top slot's state and link, CAS the head to
 * the link (tag + 1), then CAS the slot's state FREE(g) → ALLOCATED(g, owner). <b>Free</b>: CAS the
 * state from what the caller owns to FREE(g + 1), then link the slot in by CAS on the head, giving up
 * if its state changed meanwhile (see rebuild). Because every ownership change is a CAS on a word that
 * includes the generation, a slot can never be handed to two owners and a stale or repeated free never
 * matches.
 *
 * <p><b>Rebuild</b> (host only, after a peer died): a process killed between the two CASes of an
 * allocation or a free leaves a slot FREE but off the list. The host sets the head's lock bit (every
 * allocation and free then waits a few microseconds), re-links every FREE slot after bumping its
 * generation, and unlocks. The bump makes a live allocator caught between its two CASes fail its second
 * one and retry, and a live freer see that its slot was adopted, so nothing is linked twice.
 *
 * <p>Nothing read from shared memory is trusted: an index out of range is treated as a corrupt list,
 * which this process stops using until the host rebuilds it, rather than followed.
 *
 * <p>Thread-safe and safe across processes.
 */
final class SlotAllocator {

  /** Slot references pack class, index and generation into one long. */
  static long ref(int sizeClass, int index, int generation) {
    return ((long) sizeClass << 56) | ((long) (index & 0xFFFFFF) << 32) | (generation & 0xFFFFFFFFL);
  }

  static int refClass(long ref) {
    return (int) (ref >>> 56);
  }

  static int refIndex(long ref) {
    return (int) ((ref >>> 32) & 0xFFFFFF);
  }

  static int refGeneration(long ref) {
    return (int) ref;
  }

  static final long NONE = -1L;

  /** Bounded retries before a list that keeps changing under us is declared corrupt for this attempt. */
  private static final int MAX_ATTEMPTS = 1 << 20;

  private final SharedBuffer mem;
  private final HubLayout layout;
  private final ByteBuffer[][] views;
  private final ByteBuffer[][] readViews;

  SlotAllocator(SharedBuffer mem, HubLayout layout) {
    this.mem = mem;
    this.layout = layout;
    this.views = new ByteBuffer[layout.classCount()][];
    this.readViews = new ByteBuffer[layout.classCount()][];
    for (int c = 0; c < layout.classCount(); c++) {
      views[c] = new ByteBuffer[layout.classes.get(c).slotCount()];
      readViews[c] = new ByteBuffer[layout.classes.get(c).slotCount()];
    }
  }

  /** Host only, on a fresh file: every slot FREE at generation 0, linked in index order. */
  void format() {
    for (int c = 0; c < layout.classCount(); c++) {
      int count = layout.classes.get(c).slotCount();
      for (int i = 0; i < count; i++) {
        long rec = layout.slotRecordOffset(c, i);
        mem.putLong(rec, SlotDescriptor.stateWord(0, FREE, NOBODY, NOBODY));
        mem.putInt(rec + NEXT_OFFSET, i + 1 < count ? i + 1 : NIL);
      }
      mem.putLongRelease(layout.classControlOffset(c), SlotDescriptor.headWord(0, false, 0));
    }
  }

  /** The smallest class whose slots hold {@code length} bytes, or -1 if none does. */
  int classFor(int length) {
    for (int c = 0; c < layout.classCount(); c++) {
      if (layout.classes.get(c).slotSize() >= length) {
        return c;
      }
    }
    return -1;
  }

  /**
   * Allocates a slot of at least {@code length} bytes for {@code owner}, taking from a larger class when
   * the best-fitting one is empty. Never waits.
   *
   * @return the slot's reference, or {@link #NONE} if every fitting class is empty
   */
  long tryAllocate(int length, int owner) {
    int first = classFor(length);
    if (first < 0) {
      return NONE;
    }
    for (int c = first; c < layout.classCount(); c++) {
      long ref = pop(c, owner);
      if (ref != NONE) {
        return ref;
      }
    }
    return NONE;
  }

  private long pop(int sizeClass, int owner) {
    long ctl = layout.classControlOffset(sizeClass);
    int count = layout.classes.get(sizeClass).slotCount();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      long head = mem.getLongVolatile(ctl);
      if (SlotDescriptor.locked(head)) {
        Thread.onSpinWait(); // the host is rebuilding this list: microseconds
        continue;
      }
      int index = SlotDescriptor.index(head);
      if (index == NIL) {
        return NONE;
      }
      if (index < 0 || index >= count) {
        return NONE; // corrupt head: unusable until the host rebuilds
      }
      long rec = layout.slotRecordOffset(sizeClass, index);
      long state = mem.getLongVolatile(rec);
      int next = mem.getInt(rec + NEXT_OFFSET); // NOTE: plain: published by the pusher's head CAS, read after our volatile head read
      if (next != NIL && (next < 0 || next >= count)) {
        continue; // torn by a concurrent change; the CAS below would fail anyway
      }
      // NOTE: the tag makes this CAS fail if anyone popped or pushed since we read the head (ABA).
      if (!mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, false, next))) {
        continue;
      }
      if (SlotDescriptor.state(state) == FREE
          && mem.compareAndSetLong(rec, state, SlotDescriptor.stateWord(SlotDescriptor.generation(state), ALLOCATED, owner, NOBODY))) {
        return ref(sizeClass, index, SlotDescriptor.generation(state));
      }
      // The slot was adopted by a rebuild between our two CASes (its generation moved): try again.
    }
    return NONE;
  }

  /**
   * ALLOCATED(g, owner) → IN_FLIGHT(g, owner, receiver): the slot is handed to a descriptor.
   *
   * @return false if the slot is no longer the caller's (it was reclaimed)
   */
  boolean markInFlight(long ref, int owner, int receiver) {
    long rec = recordOf(ref);
    int g = refGeneration(ref);
    return mem.compareAndSetLong(rec,
        SlotDescriptor.stateWord(g, ALLOCATED, owner, NOBODY),
        SlotDescriptor.stateWord(g, IN_FLIGHT, owner, receiver));
  }

  /** Frees a slot its owner allocated and never sent. Returns false if it was no longer the owner's. */
  boolean freeAllocated(long ref, int owner) {
    return free(ref, SlotDescriptor.stateWord(refGeneration(ref), ALLOCATED, owner, NOBODY));
  }

  /** Frees a slot a descriptor carried, as its receiver (or as the sender taking it back). */
  boolean freeInFlight(long ref, int owner, int receiver) {
    return free(ref, SlotDescriptor.stateWord(refGeneration(ref), IN_FLIGHT, owner, receiver));
  }

  /** True if the slot is IN_FLIGHT from {@code owner} to {@code receiver} at the reference's generation. */
  boolean isInFlight(long ref, int owner, int receiver) {
    return mem.getLongVolatile(recordOf(ref))
        == SlotDescriptor.stateWord(refGeneration(ref), IN_FLIGHT, owner, receiver);
  }

  private boolean free(long ref, long expected) {
    int sizeClass = refClass(ref);
    int index = refIndex(ref);
    long rec = layout.slotRecordOffset(sizeClass, index);
    long freed = SlotDescriptor.stateWord(refGeneration(ref) + 1, FREE, NOBODY, NOBODY);
    if (!mem.compareAndSetLong(rec, expected, freed)) {
      return false; // not in the state the caller owns: a repeated or stale free, or reclaimed
    }
    push(sizeClass, index, freed);
    return true;
  }

  private void push(int sizeClass, int index, long freedWord) {
    long ctl = layout.classControlOffset(sizeClass);
    long rec = layout.slotRecordOffset(sizeClass, index);
    for (;;) {
      long head = mem.getLongVolatile(ctl);
      if (SlotDescriptor.locked(head)) {
        Thread.onSpinWait();
        continue;
      }
      if (mem.getLongVolatile(rec) != freedWord) {
        return; // a rebuild adopted the slot and linked it
      }
      mem.putInt(rec + NEXT_OFFSET, SlotDescriptor.index(head)); // NOTE: plain: published by the CAS below
      if (mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, false, index))) {
        return;
      }
    }
  }

  /**
   * Host only. Frees every slot {@code party} holds or that is in flight to or from it, then rebuilds
   * the free lists. Returns how many slots came back.
   */
  int reclaim(int party) {
    int freed = 0;
    for (int c = 0; c < layout.classCount(); c++) {
      int count = layout.classes.get(c).slotCount();
      for (int i = 0; i < count; i++) {
        long rec = layout.slotRecordOffset(c, i);
        for (;;) {
          long w = mem.getLongVolatile(rec);
          int st = SlotDescriptor.state(w);
          boolean held = (st == ALLOCATED && SlotDescriptor.owner(w) == party)
              || (st == IN_FLIGHT && (SlotDescriptor.owner(w) == party || SlotDescriptor.receiver(w) == party));
          if (!held) {
            break;
          }
          if (mem.compareAndSetLong(rec, w, SlotDescriptor.stateWord(SlotDescriptor.generation(w) + 1, FREE, NOBODY, NOBODY))) {
            freed++;
            break;
          }
        }
      }
    }
    rebuildAll();
    return freed;
  }

  /** Host only: rebuilds every class's free list from the slots' states (see the class comment). */
  void rebuildAll() {
    for (int c = 0; c < layout.classCount(); c++) {
      rebuild(c);
    }
  }

  private void rebuild(int sizeClass) {
    long ctl = layout.classControlOffset(sizeClass);
    long head;
    do {
      head = mem.getLongVolatile(ctl);
    } while (!mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, true, SlotDescriptor.index(head))));
    int count = layout.classes.get(sizeClass).slotCount();
    int first = NIL;
    for (int i = count - 1; i >= 0; i--) {
      long rec = layout.slotRecordOffset(sizeClass, i);
      for (;;) {
        long w = mem.getLongVolatile(rec);
        if (SlotDescriptor.state(w) != FREE) {
          break;
        }
        // Bump the generation: any live allocator or freer holding the old word now fails or yields.
        if (mem.compareAndSetLong(rec, w, SlotDescriptor.stateWord(SlotDescriptor.generation(w) + 1, FREE, NOBODY, NOBODY))) {
          mem.putInt(rec + NEXT_OFFSET, first);
          first = i;
          break;
        }
      }
    }
    // NOTE: volatile store publishes the links written above before anyone can pop.
    mem.putLongVolatile(ctl, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 2, false, first));
  }

  /** The state word of a slot, for validation and snapshots. */
  long stateWord(int sizeClass, int index) {
    return mem.getLongVolatile(layout.slotRecordOffset(sizeClass, index));
  }

  private long recordOf(long ref) {
    return layout.slotRecordOffset(refClass(ref), refIndex(ref));
  }

  /**
   * This process's view of a slot's bytes: position 0, limit {@code length}. A slot has one owner at a
   * time, so its owner may reuse the view freely.
   */
  ByteBuffer view(int sizeClass, int index, int offset, int length) {
    ByteBuffer v = views[sizeClass][index];
    if (v == null) {
      v = mem.slice(layout.slotDataOffset(sizeClass, index), layout.classes.get(sizeClass).slotSize());
      views[sizeClass][index] = v; // a racing second creation is a harmless duplicate view
    }
    v.limit(offset + length).position(offset);
    return v;
  }

  /** A read-only view of a slot's bytes for its receiver: position {@code offset}, limit offset + length. */
  ByteBuffer readView(int sizeClass, int index, int offset, int length) {
    ByteBuffer v = readViews[sizeClass][index];
    if (v == null) {
      v = mem.slice(layout.slotDataOffset(sizeClass, index), layout.classes.get(sizeClass).slotSize()).asReadOnlyBuffer();
      readViews[sizeClass][index] = v;
    }
    v.limit(offset + length).position(offset);
    return v;
  }

  int slotSize(int sizeClass) {
    return layout.classes.get(sizeClass).slotSize();
  }

  int slotCount(int sizeClass) {
    return layout.classes.get(sizeClass).slotCount();
  }

  int classCount() {
    return layout.classCount();
  }

  static String describe(long ref) {
    return "class " + refClass(ref) + " slot " + refIndex(ref) + " gen " + refGeneration(ref);
  }
}
