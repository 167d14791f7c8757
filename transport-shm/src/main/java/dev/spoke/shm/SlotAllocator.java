package dev.spoke.shm;

import static dev.spoke.shm.SlotDescriptor.ALLOCATED;
import static dev.spoke.shm.SlotDescriptor.FREE;
import static dev.spoke.shm.SlotDescriptor.IN_FLIGHT;
import static dev.spoke.shm.SlotDescriptor.NIL;
import static dev.spoke.shm.SlotDescriptor.NOBODY;

import dev.spoke.internal.Processors;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared slot pool: per size class a lock-free free list (a Treiber stack whose head carries an
 * ABA tag) over slot records whose state words are the single source of truth about ownership.
 *
 * <p><b>Allocate</b> (any process): read the head, read the top slot's state word (FREE, with its link),
 * CAS the head to the link (tag + 1), then CAS the slot's word FREE(g, link) → ALLOCATED(g, owner).
 * <b>Free</b>: CAS the word from what the caller owns to FREE(g + 1, none); then, to link it in, CAS the
 * word to FREE(g + 1, head's index) and the head to the slot, giving up if the generation moved (a
 * rebuild adopted the slot). Because every ownership change is a CAS on a word that includes the
 * generation, a slot can never be handed to two owners and a stale or repeated free never matches; and
 * because the link lives in that word ({@link SlotDescriptor}), it is published only by a CAS that also
 * checks the generation.
 *
 * <p><b>Rebuild</b> (host only, after a peer died): a process killed between the two CASes of an
 * allocation or a free leaves a slot FREE but off the list. The host sets the head's lock bit (every
 * allocation and free then waits a few microseconds), re-links every FREE slot by a CAS that also bumps
 * its generation, and unlocks. The bump makes a live allocator caught between its two CASes fail its
 * second one and retry, and a live freer see that its slot was adopted, so nothing is linked twice.
 *
 * <p><b>Every loop is bounded.</b> A free whose link keeps failing (the head stays locked — a stray write,
 * a host that died mid-rebuild — or is contended beyond reason) gives up and leaves its slot FREE and
 * unlinked; an allocation that keeps failing reports no slot. The host's pool check ({@link #check}, run
 * every heartbeat interval) finds a list that stays broken, or FREE slots that stay off it, and rebuilds
 * that class. A rebuild that finds the head locked takes the lock over: only the host rebuilds, on one
 * thread at a time (its receive thread; {@code HubHost} asserts it).
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
  /**
   * How long a free may wait for a locked or contended list head, and an allocation for a locked one,
   * before it gives up (a rebuild holds the lock for microseconds, or a few milliseconds if the host's
   * thread is preempted on a busy machine). Past it a freed slot stays FREE and unlinked until the host's
   * pool check relinks it, and an allocation tries the next class or waits for a slot as for a full pool:
   * no thread — the host's receive thread among them — waits for good on a lock left set by a stray write.
   */
  private static final long MAX_LOCK_WAIT_NANOS = 20_000_000;
  /** Attempts a free or an allocation spins before it starts watching the clock (and a free yielding). */
  private static final int SPINS_BEFORE_CLOCK = 1 << 10;
  private static final Logger log = LoggerFactory.getLogger(SlotAllocator.class);

  /** Frees that gave up linking their slot (see {@link #MAX_LOCK_WAIT_NANOS}); this process only. */
  private final java.util.concurrent.atomic.LongAdder unlinkedFrees = new java.util.concurrent.atomic.LongAdder();

  private final SharedBuffer mem;
  private final HubLayout layout;
  /** Slots adopted by this process ({@link #adopt}) and not yet freed, by reference. */
  private final java.util.Set<Long> retained = java.util.concurrent.ConcurrentHashMap.newKeySet();
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
        mem.putLong(layout.slotRecordOffset(c, i), SlotDescriptor.freeWord(0, i + 1 < count ? i + 1 : NIL));
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
    long giveUpAt = 0;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      long head = mem.getLongVolatile(ctl);
      if (SlotDescriptor.locked(head)) {
        if (attempt >= SPINS_BEFORE_CLOCK) {
          long now = System.nanoTime();
          if (giveUpAt == 0) {
            giveUpAt = now + MAX_LOCK_WAIT_NANOS;
          } else if (now - giveUpAt >= 0) {
            return NONE; // a lock left set: the host's pool check clears it
          }
        }
        Processors.waitForOther(); // the host is rebuilding this list: microseconds
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
      if (SlotDescriptor.state(state) != FREE) {
        if (mem.getLongVolatile(ctl) == head) {
          return NONE; // a slot in use on the list: corrupt until the host's pool check rebuilds it
        }
        continue; // popped by someone else meanwhile
      }
      int next = SlotDescriptor.link(state);
      if (next != NIL && (next < 0 || next >= count)) {
        if (mem.getLongVolatile(ctl) == head) {
          return NONE; // a link out of range: corrupt until rebuilt
        }
        continue;
      }
      // NOTE: the tag makes this CAS fail if anyone popped or pushed since we read the head (ABA).
      if (!mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, false, next))) {
        continue;
      }
      if (mem.compareAndSetLong(rec, state, SlotDescriptor.stateWord(SlotDescriptor.generation(state), ALLOCATED, owner, NOBODY))) {
        countAllocated(ctl);
        return ref(sizeClass, index, SlotDescriptor.generation(state));
      }
      // The slot was adopted by a rebuild between our two CASes (its generation moved): try again.
    }
    return NONE;
  }

  /**
   * Counts an allocation of the class whose control block is at {@code ctl}, and raises the class's
   * high-water mark if this passes it (see {@link SlotDescriptor}: for diagnostics only).
   */
  private void countAllocated(long ctl) {
    int inUse = mem.getAndAddInt(ctl + SlotDescriptor.IN_USE_OFFSET, 1) + 1;
    if (inUse > mem.getIntVolatile(ctl + SlotDescriptor.IN_USE_HIGH_WATER_OFFSET)) {
      // NOTE: a plain release store, not a CAS: two raisers may race and the lower may win, which a
      // diagnostic mark can afford. A CAS here runs seldom, so it stays interpreted, and an interpreted
      // CAS on memory whose file another process truncated kills the JVM instead of raising the
      // InternalError the hub turns into "the hub is lost".
      mem.putIntRelease(ctl + SlotDescriptor.IN_USE_HIGH_WATER_OFFSET, inUse);
    }
  }

  /** Slots of class {@code sizeClass} off the free list, as counted (see {@link SlotDescriptor}). */
  int inUse(int sizeClass) {
    return mem.getIntVolatile(layout.classControlOffset(sizeClass) + SlotDescriptor.IN_USE_OFFSET);
  }

  /** The most slots of class {@code sizeClass} ever in use at once, as counted. */
  int inUseHighWater(int sizeClass) {
    return mem.getIntVolatile(layout.classControlOffset(sizeClass) + SlotDescriptor.IN_USE_HIGH_WATER_OFFSET);
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

  /**
   * IN_FLIGHT(g, owner, receiver) → ALLOCATED(g, receiver): the receiver keeps the slot beyond the
   * frame's delivery (a zero-copy message), as its owner now. A reclaim of the sender no longer frees it;
   * a reclaim of the receiver does. Freed later by {@link #freeAllocated} with the receiver as owner.
   *
   * @return false if the slot is no longer in flight to the receiver (it was reclaimed)
   */
  boolean adopt(long ref, int owner, int receiver) {
    long rec = recordOf(ref);
    int g = refGeneration(ref);
    retained.add(ref); // before the CAS: the host's pool check must never see it ALLOCATED and not retained
    if (mem.compareAndSetLong(rec,
        SlotDescriptor.stateWord(g, IN_FLIGHT, owner, receiver),
        SlotDescriptor.stateWord(g, ALLOCATED, receiver, NOBODY))) {
      return true;
    }
    retained.remove(ref);
    return false;
  }

  /** Frees a slot this process adopted ({@link #adopt}) as {@code owner}; false if it was reclaimed. */
  boolean freeRetained(long ref, int owner) {
    try {
      return freeAllocated(ref, owner);
    } finally {
      retained.remove(ref);
    }
  }

  /**
   * True if this process adopted the slot {@code ref} names (class, index and generation) and has not
   * freed it: the host's pool check leaves such a slot be, however long it is held.
   */
  boolean isRetained(long ref) {
    return retained.contains(ref);
  }

  /** Slots this process holds as the receiver of zero-copy messages. */
  int retainedCount() {
    return retained.size();
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
    int generation = refGeneration(ref) + 1;
    if (!mem.compareAndSetLong(rec, expected, SlotDescriptor.freeWord(generation, NIL))) {
      return false; // not in the state the caller owns: a repeated or stale free, or reclaimed
    }
    // Counted now, whoever links it: this push, or a rebuild that adopts it first.
    mem.getAndAddInt(layout.classControlOffset(sizeClass) + SlotDescriptor.IN_USE_OFFSET, -1);
    push(sizeClass, index, generation);
    return true;
  }

  private void push(int sizeClass, int index, int generation) {
    long ctl = layout.classControlOffset(sizeClass);
    long rec = layout.slotRecordOffset(sizeClass, index);
    long giveUpAt = 0;
    for (int attempt = 0; ; attempt++) {
      if (attempt >= SPINS_BEFORE_CLOCK) {
        long now = System.nanoTime();
        if (giveUpAt == 0) {
          giveUpAt = now + MAX_LOCK_WAIT_NANOS;
        } else if (now - giveUpAt >= 0) {
          break;
        }
        Thread.yield(); // the lock's holder may be waiting for this CPU
      }
      long head = mem.getLongVolatile(ctl);
      if (SlotDescriptor.locked(head)) {
        Processors.waitForOther(); // the host is rebuilding this list: microseconds
        continue;
      }
      long word = mem.getLongVolatile(rec);
      if (SlotDescriptor.state(word) != FREE || SlotDescriptor.generation(word) != generation) {
        return; // a rebuild adopted the slot (and linked it)
      }
      int top = SlotDescriptor.index(head);
      // NOTE: the link is published by this CAS, which fails once a rebuild has adopted the slot (it
      // bumps the generation); and a rebuild locks the head before it adopts anything, so the head CAS
      // below fails if one ran in between. Our link can never overwrite a rebuild's.
      if (SlotDescriptor.link(word) != top
          && !mem.compareAndSetLong(rec, word, SlotDescriptor.freeWord(generation, top))) {
        continue;
      }
      if (mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, false, index))) {
        return;
      }
    }
    // The head stayed locked (a stray write, or a rebuild that never ended) or contended beyond reason.
    // The slot is FREE, just not linked: the host's pool check finds it and relinks it.
    unlinkedFrees.increment();
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
        // Bounded: a word that keeps changing under us is left to the pool reconciliation.
        for (int attempt = 0; attempt < 64; attempt++) {
          long w = mem.getLongVolatile(rec);
          int st = SlotDescriptor.state(w);
          boolean held = (st == ALLOCATED && SlotDescriptor.owner(w) == party)
              || (st == IN_FLIGHT && (SlotDescriptor.owner(w) == party || SlotDescriptor.receiver(w) == party));
          if (!held) {
            break;
          }
          if (mem.compareAndSetLong(rec, w, SlotDescriptor.freeWord(SlotDescriptor.generation(w) + 1, NIL))) {
            // Taken back without a push: the rebuild below links it, and the count goes down here.
            mem.getAndAddInt(layout.classControlOffset(c) + SlotDescriptor.IN_USE_OFFSET, -1);
            freed++;
            break;
          }
        }
      }
    }
    rebuildAll();
    return freed;
  }

  /**
   * Host only: frees a slot the pool reconciliation judged orphaned, if its word is still exactly the
   * one judged (anything else means a live party moved it meanwhile). The caller rebuilds the class.
   */
  boolean freeOrphan(int sizeClass, int index, long word) {
    long rec = layout.slotRecordOffset(sizeClass, index);
    if (!mem.compareAndSetLong(rec, word, SlotDescriptor.freeWord(SlotDescriptor.generation(word) + 1, NIL))) {
      return false;
    }
    int state = SlotDescriptor.state(word);
    if (state == ALLOCATED || state == IN_FLIGHT) {
      // It was counted in use when it was allocated (garbage in any other state never was).
      mem.getAndAddInt(layout.classControlOffset(sizeClass) + SlotDescriptor.IN_USE_OFFSET, -1);
    }
    return true;
  }

  /** Frees by this process that left their slot off the list for the host's pool check to relink. */
  long unlinkedFrees() {
    return unlinkedFrees.sum();
  }

  /** Host only: rebuilds every class's free list from the slots' states (see the class comment). */
  void rebuildAll() {
    for (int c = 0; c < layout.classCount(); c++) {
      rebuild(c);
    }
  }

  /** Host only: rebuilds one class's free list (after its check found it broken). */
  void rebuildClass(int sizeClass) {
    rebuild(sizeClass);
  }

  private void rebuild(int sizeClass) {
    long ctl = layout.classControlOffset(sizeClass);
    long head = mem.getLongVolatile(ctl);
    if (SlotDescriptor.locked(head)) {
      // Only the host rebuilds, on one thread at a time: a lock it finds is not its own (a stray write
      // into the hub, or a rebuild of a host that died). Take it over.
      log.warn("the free list of size class {} was found locked ({}); taking it over", sizeClass, Long.toHexString(head));
    }
    long locked = SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, true, SlotDescriptor.index(head));
    for (int attempt = 0; !mem.compareAndSetLong(ctl, head, locked); attempt++) {
      if (attempt >= MAX_ATTEMPTS) {
        // Someone keeps rewriting the head: only a misbehaving process can. Lock it by force.
        mem.putLongVolatile(ctl, locked);
        break;
      }
      head = mem.getLongVolatile(ctl);
      locked = SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, true, SlotDescriptor.index(head));
    }
    int count = layout.classes.get(sizeClass).slotCount();
    int first = NIL;
    for (int i = count - 1; i >= 0; i--) {
      long rec = layout.slotRecordOffset(sizeClass, i);
      // Adopt: link and bump the generation in one CAS, so a live allocator or freer holding the old
      // word fails or yields. A CAS fails when a freer relinked the slot meanwhile: read it again.
      for (int attempt = 0; attempt < 64; attempt++) {
        long w = mem.getLongVolatile(rec);
        if (SlotDescriptor.state(w) != FREE) {
          break;
        }
        if (mem.compareAndSetLong(rec, w, SlotDescriptor.freeWord(SlotDescriptor.generation(w) + 1, first))) {
          first = i;
          break;
        }
      }
    }
    // NOTE: volatile store publishes the links written above before anyone can pop.
    mem.putLongVolatile(ctl, SlotDescriptor.headWord(SlotDescriptor.tag(locked) + 1, false, first));
  }

  /**
   * Read-only: what is wrong with size class {@code sizeClass}'s free list, for the host's periodic
   * pool check. Walks the list from its head (bounded by the slot count) and scans every slot's state;
   * reports a locked head, a link out of range, a cycle, a linked slot that is not FREE, and the FREE
   * slots the walk did not reach ({@code unlinked}: their state words, by index; a slot merely being
   * freed right now appears here too, so callers act only on one that stays so with the same word).
   */
  ListCheck check(int sizeClass) {
    long ctl = layout.classControlOffset(sizeClass);
    int count = layout.classes.get(sizeClass).slotCount();
    long head = mem.getLongVolatile(ctl);
    ListCheck result = new ListCheck(sizeClass, head);
    if (SlotDescriptor.locked(head)) {
      result.problem = "its head is locked";
      return result;
    }
    boolean[] linked = new boolean[count];
    int index = SlotDescriptor.index(head);
    for (int steps = 0; index != NIL; steps++) {
      if (index < 0 || index >= count) {
        result.problem = "a link points to slot " + index + ", outside [0, " + count + ")";
        break;
      }
      if (linked[index] || steps >= count) {
        result.problem = "the list runs in a cycle through slot " + index;
        break;
      }
      linked[index] = true;
      long word = mem.getLongVolatile(layout.slotRecordOffset(sizeClass, index));
      if (SlotDescriptor.state(word) != FREE) {
        if (mem.getLongVolatile(ctl) == head) {
          result.problem = "slot " + index + " is on the list but " + SlotDescriptor.stateName(SlotDescriptor.state(word));
        }
        break;
      }
      index = SlotDescriptor.link(word);
    }
    if (mem.getLongVolatile(ctl) != head) {
      result.problem = null; // the list moved while we walked it: what we saw proves nothing
      result.moved = true;
      return result;
    }
    for (int i = 0; i < count; i++) {
      long w = mem.getLongVolatile(layout.slotRecordOffset(sizeClass, i));
      if (SlotDescriptor.state(w) == FREE && !linked[i]) {
        result.unlinked.put(i, w);
      }
    }
    return result;
  }

  /** What {@link #check} found in one size class. */
  static final class ListCheck {
    final int sizeClass;
    final long head;
    /** Set when the walk itself went wrong; null otherwise. */
    String problem;
    /** The list changed during the walk; nothing can be concluded. */
    boolean moved;
    /** FREE slots not on the list: index → the state word seen. */
    final java.util.Map<Integer, Long> unlinked = new java.util.HashMap<>();

    ListCheck(int sizeClass, long head) {
      this.sizeClass = sizeClass;
      this.head = head;
    }

    /** True if the list needs a rebuild, judged against the previous check of the same class (or null). */
    boolean needsRebuild(ListCheck previous) {
      if (moved) {
        return false;
      }
      if (problem != null) {
        // A locked head is a rebuild in progress unless it stays exactly so across checks.
        return !problem.startsWith("its head is locked") || (previous != null && previous.head == head);
      }
      if (previous == null || previous.moved) {
        return false;
      }
      for (java.util.Map.Entry<Integer, Long> e : unlinked.entrySet()) {
        if (e.getValue().equals(previous.unlinked.get(e.getKey()))) {
          return true; // FREE and off the list, with the same word, a whole check interval apart
        }
      }
      return false;
    }

    @Override
    public String toString() {
      return "size class " + sizeClass + ": " + (problem != null ? problem
          : unlinked.size() + " free slot(s) not on the free list " + unlinked.keySet());
    }
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
