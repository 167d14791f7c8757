package dev.spoke.shm;

import static dev.spoke.shm.SlotDescriptor.ALLOCATED;
import static dev.spoke.shm.SlotDescriptor.FREE;
import static dev.spoke.shm.SlotDescriptor.HOST_ID;
import static dev.spoke.shm.SlotDescriptor.IN_FLIGHT;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The host's reconciliation of every slot record against what the live parties can account for: a
 * slot whose state word no live party will ever free — garbage written over it, a party that is not
 * live, an in-flight slot no descriptor refers to, a host allocation the host never finishes — is
 * freed, so the pool comes back whole whatever a plugin scribbled over it.
 *
 * <p>Each check is read-only and runs on the host's supervisor thread; a slot is judged orphaned only
 * when the same word has stood for long enough that no live operation can explain it (a word changes
 * with every allocation, send and free, since each bumps or moves it):
 *
 * <ul>
 *   <li>an unknown state, an owner or receiver that is not a live party (nor the host), a slot in
 *       flight between a party and itself or between two plugins (there is no such ring): two checks;
 *   <li>in flight between live parties, with no published, unread descriptor on their ring naming it
 *       at its generation: three checks (a receiver frees a slot as soon as it has read it);
 *   <li>allocated by the host: longer than the hub's send timeout (the longest the host's own senders
 *       hold a slot while they wait for a ring entry) and two checks more.
 * </ul>
 *
 * A slot a live plugin holds allocated is its own share and is left alone: it comes back when the plugin
 * frees it or is reclaimed. The repair itself (a CAS from exactly the word seen to FREE, then a rebuild
 * of the class) runs on the receive loop, the pool's one mutator.
 *
 * <p>Not thread-safe: the supervisor's.
 */
final class PoolReconciler {

  /** What the reconciler asks of the host about its peers. */
  interface Parties {
    /** True if {@code party} (a peer id or {@link SlotDescriptor#HOST_ID}) holds a live entry. */
    boolean live(int party);

    /** The ring from {@code owner} to {@code receiver} of a live peer, or null if there is none. */
    DescriptorRing ring(int owner, int receiver);

    /** True if the host holds slot {@code ref} as the receiver of a zero-copy message it keeps. */
    boolean retainedByHost(long ref);
  }

  /** A slot to free: the word seen, twice or more, and why no live party accounts for it. */
  static final class Orphan {
    final int sizeClass;
    final int index;
    final long word;
    final String why;

    Orphan(int sizeClass, int index, long word, String why) {
      this.sizeClass = sizeClass;
      this.index = index;
      this.word = word;
      this.why = why;
    }

    @Override
    public String toString() {
      return "class " + sizeClass + " slot " + index + " (" + SlotDescriptor.stateName(SlotDescriptor.state(word))
          + " gen " + SlotDescriptor.generation(word) + "): " + why;
    }
  }

  private static final class Suspect {
    final long word;
    final long sinceNanos;
    int checks;

    Suspect(long word, long sinceNanos) {
      this.word = word;
      this.sinceNanos = sinceNanos;
    }
  }

  private final SharedBuffer mem;
  private final HubLayout layout;
  private final long hostHoldNanos;
  private final Map<Long, Suspect> suspects = new HashMap<>();

  PoolReconciler(SharedBuffer mem, HubLayout layout, HubConfig config) {
    this.mem = mem;
    this.layout = layout;
    this.hostHoldNanos = config.sendTimeout().toNanos() + 2 * config.heartbeatInterval().toNanos();
  }

  /** One check; returns the slots that are orphaned now. */
  List<Orphan> check(Parties parties, long now) {
    Set<Long> referenced = referencedSlots(parties);
    Map<Long, Suspect> next = new HashMap<>();
    List<Orphan> orphans = new ArrayList<>();
    for (int c = 0; c < layout.classCount(); c++) {
      int count = layout.classes.get(c).slotCount();
      for (int i = 0; i < count; i++) {
        long word = mem.getLongVolatile(layout.slotRecordOffset(c, i));
        int state = SlotDescriptor.state(word);
        if (state == FREE) {
          continue; // the free-list check's business
        }
        String why;
        int checksNeeded;
        long heldNanos = 0;
        int owner = SlotDescriptor.owner(word);
        int receiver = SlotDescriptor.receiver(word);
        if (state != ALLOCATED && state != IN_FLIGHT) {
          why = "its state word is garbage";
          checksNeeded = 2;
        } else if (!parties.live(owner)) {
          why = "its owner " + SlotDescriptor.partyName(owner) + " is not a live party";
          checksNeeded = 2;
        } else if (state == ALLOCATED) {
          if (owner != HOST_ID || parties.retainedByHost(key(c, i, SlotDescriptor.generation(word)))) {
            continue; // a live plugin's own share, or a zero-copy message the host's application keeps
          }
          why = "the host has held it allocated for longer than any send waits";
          checksNeeded = 2;
          heldNanos = hostHoldNanos;
        } else if (!parties.live(receiver) || owner == receiver || parties.ring(owner, receiver) == null) {
          why = "it is in flight to " + SlotDescriptor.partyName(receiver) + ", which no ring from "
              + SlotDescriptor.partyName(owner) + " reaches";
          checksNeeded = 2;
        } else if (!referenced.contains(key(c, i, SlotDescriptor.generation(word)))) {
          why = "it is in flight, but no descriptor waiting on the ring from " + SlotDescriptor.partyName(owner)
              + " to " + SlotDescriptor.partyName(receiver) + " refers to it";
          checksNeeded = 3;
        } else {
          continue;
        }
        long k = ((long) c << 32) | i;
        Suspect s = suspects.get(k);
        if (s == null || s.word != word) {
          s = new Suspect(word, now);
        }
        s.checks++;
        if (s.checks >= checksNeeded && now - s.sinceNanos >= heldNanos) {
          orphans.add(new Orphan(c, i, word, why));
        } else {
          next.put(k, s);
        }
      }
    }
    suspects.clear();
    suspects.putAll(next);
    return orphans;
  }

  /** Slot references (class, index, generation) of published, unread descriptors on live rings. */
  private Set<Long> referencedSlots(Parties parties) {
    Set<Long> refs = new HashSet<>();
    for (int peer = 0; peer < layout.maxPeers; peer++) {
      if (!parties.live(peer)) {
        continue;
      }
      addReferences(parties.ring(HOST_ID, peer), refs);
      addReferences(parties.ring(peer, HOST_ID), refs);
    }
    return refs;
  }

  private void addReferences(DescriptorRing ring, Set<Long> refs) {
    if (ring == null) {
      return;
    }
    long head = ring.headVolatile();
    long tail = ring.tailVolatile();
    long depth = tail - head;
    if (depth <= 0 || depth > ring.capacity()) {
      return; // empty, or cursors a misbehaving peer wrote: nothing in it can be trusted to name a slot
    }
    for (long p = head; p != tail; p++) {
      if (!ring.isPublished(p)) {
        continue;
      }
      long e = ring.entryOffset(p);
      if (mem.getByte(e + FrameDescriptor.MODE_OFFSET) != FrameDescriptor.MODE_SLOT) {
        continue;
      }
      int c = mem.getByte(e + FrameDescriptor.SIZE_CLASS_OFFSET) & 0xFF;
      int index = mem.getInt(e + FrameDescriptor.SLOT_INDEX_OFFSET);
      int generation = mem.getInt(e + FrameDescriptor.SLOT_GENERATION_OFFSET);
      refs.add(key(c, index, generation));
    }
  }

  private static long key(int sizeClass, int index, int generation) {
    return SlotAllocator.ref(sizeClass, index, generation);
  }
}
