package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SlotAllocatorTest {

  static final HubConfig SMALL = HubConfig.builder()
      .maxPeers(4)
      .ringCapacity(16)
      .sizeClasses(SizeClass.of(1024, 64), SizeClass.of(16 * 1024, 16), SizeClass.of(64 * 1024, 4))
      .build();

  @TempDir
  Path dir;
  HubFile file;
  SlotAllocator slots;

  @BeforeEach
  void setUp() throws Exception {
    file = HubFile.create(SMALL.toBuilder().directory(dir).build(), 1, 0);
    slots = new SlotAllocator(file.buffer(), file.layout());
    slots.format();
  }

  /** Walks every class's free list: no cycle, no duplicate, every linked slot FREE, every FREE slot linked. */
  static void assertListsIntact(SharedBuffer mem, HubLayout layout) {
    assertListsIntact(mem, layout, true);
  }

  /** As above; {@code countsExact} false where a test killed a process between a slot's change and its count. */
  static void assertListsIntact(SharedBuffer mem, HubLayout layout, boolean countsExact) {
    for (int c = 0; c < layout.classCount(); c++) {
      int count = layout.classes.get(c).slotCount();
      BitSet linked = new BitSet(count);
      long head = mem.getLongVolatile(layout.classControlOffset(c));
      assertFalse(SlotDescriptor.locked(head), "class " + c + " left locked");
      int i = SlotDescriptor.index(head);
      int steps = 0;
      while (i != SlotDescriptor.NIL) {
        assertTrue(i >= 0 && i < count, "class " + c + ": link to " + i + " out of range");
        assertFalse(linked.get(i), "class " + c + ": slot " + i + " linked twice (cycle or duplicate)");
        linked.set(i);
        assertEquals(SlotDescriptor.FREE, SlotDescriptor.state(mem.getLongVolatile(layout.slotRecordOffset(c, i))),
            "class " + c + ": linked slot " + i + " is not FREE");
        i = SlotDescriptor.link(mem.getLongVolatile(layout.slotRecordOffset(c, i)));
        assertTrue(++steps <= count, "class " + c + ": list longer than the class");
      }
      for (int s = 0; s < count; s++) {
        boolean free = SlotDescriptor.state(mem.getLongVolatile(layout.slotRecordOffset(c, s))) == SlotDescriptor.FREE;
        assertEquals(free, linked.get(s), "class " + c + " slot " + s + (free ? " is FREE but not linked" : " is linked but not FREE"));
      }
      // The diagnostics' count of slots in use agrees with the list, and the high-water mark covers it.
      long ctl = layout.classControlOffset(c);
      int inUse = mem.getIntVolatile(ctl + SlotDescriptor.IN_USE_OFFSET);
      if (countsExact) {
        assertEquals(count - linked.cardinality(), inUse, "class " + c + ": slots counted in use");
      }
      assertTrue(mem.getIntVolatile(ctl + SlotDescriptor.IN_USE_HIGH_WATER_OFFSET) >= inUse, "class " + c + ": high-water mark");
    }
  }

  /** Every slot free and every list whole; the in-use counts may be off by the kills a test simulated. */
  static void assertAllFreeAfterAKill(SharedBuffer mem, HubLayout layout) {
    for (int c = 0; c < layout.classCount(); c++) {
      HubSnapshot.ClassUsage u = HubSnapshot.captureClass(mem, layout, c);
      assertEquals(u.slotCount, u.free, "class " + c + ": " + u);
    }
    assertListsIntact(mem, layout, false);
  }

  static void assertAllFree(SharedBuffer mem, HubLayout layout) {
    for (int c = 0; c < layout.classCount(); c++) {
      HubSnapshot.ClassUsage u = HubSnapshot.captureClass(mem, layout, c);
      assertEquals(u.slotCount, u.free, "class " + c + ": " + u);
    }
    assertListsIntact(mem, layout);
  }

  @Test
  void theHighWaterMarkIsTheMostSlotsEverInUseAtOnce() {
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(slots.tryAllocate(100, 2));
    }
    assertEquals(5, slots.inUse(0));
    for (long ref : held.subList(0, 3)) {
      assertTrue(slots.freeAllocated(ref, 2));
    }
    slots.tryAllocate(100, 2);
    assertEquals(3, slots.inUse(0));
    assertEquals(5, slots.inUseHighWater(0), "two fewer now, five at most");
    assertEquals(5, HubSnapshot.captureClass(file.buffer(), file.layout(), 0).inUseHighWater);
  }

  @Test
  void allocateFreeBumpsGenerationAndRefusesRepeatsAndStrangers() {
    long ref = slots.tryAllocate(100, 2);
    assertNotEquals(SlotAllocator.NONE, ref);
    assertEquals(0, SlotAllocator.refClass(ref));
    assertFalse(slots.freeAllocated(ref, 3), "a slot is freed only by its owner");
    assertTrue(slots.freeAllocated(ref, 2));
    assertFalse(slots.freeAllocated(ref, 2), "a second free never matches");
    long again = slots.tryAllocate(100, 2);
    assertEquals(SlotAllocator.refIndex(ref), SlotAllocator.refIndex(again), "LIFO: the same slot comes back");
    assertEquals(SlotAllocator.refGeneration(ref) + 1, SlotAllocator.refGeneration(again));
    assertFalse(slots.freeAllocated(ref, 2), "a stale reference (old generation) never matches");
    assertTrue(slots.markInFlight(again, 2, SlotDescriptor.HOST_ID));
    assertFalse(slots.freeAllocated(again, 2), "in flight: only the receiver frees it");
    assertTrue(slots.freeInFlight(again, 2, SlotDescriptor.HOST_ID));
    assertAllFree(file.buffer(), file.layout());
  }

  @Test
  void aReceiverThatKeepsASlotOwnsItAgainstTheSendersReclaimButNotAgainstItsOwn() {
    // Plugin 2 sends to the host, which keeps the payload (a zero-copy message).
    long kept = slots.tryAllocate(100, 2);
    assertTrue(slots.markInFlight(kept, 2, SlotDescriptor.HOST_ID));
    assertFalse(slots.adopt(kept, 3, SlotDescriptor.HOST_ID), "only the slot's receiver, from its sender, adopts it");
    assertTrue(slots.adopt(kept, 2, SlotDescriptor.HOST_ID));
    assertTrue(slots.isRetained(kept));
    assertFalse(slots.freeInFlight(kept, 2, SlotDescriptor.HOST_ID), "no longer in flight: delivery's free misses it");
    assertEquals(0, slots.reclaim(2), "the sender's death does not take back what the receiver keeps");
    assertEquals(SlotDescriptor.ALLOCATED, SlotDescriptor.state(file.buffer().getLongVolatile(
        file.layout().slotRecordOffset(SlotAllocator.refClass(kept), SlotAllocator.refIndex(kept)))));
    assertTrue(slots.freeRetained(kept, SlotDescriptor.HOST_ID));
    assertFalse(slots.isRetained(kept));
    assertFalse(slots.freeRetained(kept, SlotDescriptor.HOST_ID), "a second release never matches");

    // The host sends to plugin 2, which keeps it, then dies: its reclaim frees what it kept.
    long theirs = slots.tryAllocate(100, SlotDescriptor.HOST_ID);
    assertTrue(slots.markInFlight(theirs, SlotDescriptor.HOST_ID, 2));
    assertTrue(slots.adopt(theirs, SlotDescriptor.HOST_ID, 2));
    assertEquals(1, slots.reclaim(2));
    assertFalse(slots.freeRetained(theirs, 2), "a late release after the reclaim frees nothing twice");
    assertAllFree(file.buffer(), file.layout());
  }

  @Test
  void thePoolCheckLeavesASlotTheHostKeepsBeHoweverLongItIsHeld() {
    long kept = slots.tryAllocate(100, 1);
    assertTrue(slots.markInFlight(kept, 1, SlotDescriptor.HOST_ID));
    assertTrue(slots.adopt(kept, 1, SlotDescriptor.HOST_ID));
    PoolReconciler reconciler = new PoolReconciler(file.buffer(), file.layout(), SMALL);
    long later = TimeUnit.HOURS.toNanos(1);
    for (int check = 0; check < 3; check++) {
      assertEquals(List.of(), reconciler.check(parties(true), check * later), "check " + check);
    }
    // The same slot, were it not kept, is the host's stray allocation: the check takes it back.
    PoolReconciler forgetful = new PoolReconciler(file.buffer(), file.layout(), SMALL);
    assertTrue(forgetful.check(parties(false), 0).isEmpty());
    assertEquals(1, forgetful.check(parties(false), later).size());
    assertTrue(slots.freeRetained(kept, SlotDescriptor.HOST_ID));
  }

  private PoolReconciler.Parties parties(boolean askAllocator) {
    return new PoolReconciler.Parties() {
      @Override
      public boolean live(int party) {
        return true;
      }

      @Override
      public DescriptorRing ring(int owner, int receiver) {
        return null;
      }

      @Override
      public boolean retainedByHost(long ref) {
        return askAllocator && slots.isRetained(ref);
      }
    };
  }

  @Test
  void largerClassServesWhenTheBestFitIsEmptyAndExhaustionSaysNone() {
    List<Long> held = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      held.add(slots.tryAllocate(1000, 0));
    }
    long spill = slots.tryAllocate(1000, 0);
    assertEquals(1, SlotAllocator.refClass(spill), "the 16 KiB class serves a 1 KiB payload");
    held.add(spill);
    for (int i = 0; i < 15 + 4; i++) {
      held.add(slots.tryAllocate(1000, 0));
    }
    assertEquals(SlotAllocator.NONE, slots.tryAllocate(1000, 0), "every class is exhausted");
    assertEquals(SlotAllocator.NONE, slots.tryAllocate(100_000, 0), "no class is large enough");
    for (long r : held) {
      assertNotEquals(SlotAllocator.NONE, r);
      assertTrue(slots.freeAllocated(r, 0));
    }
    assertAllFree(file.buffer(), file.layout());
  }

  @Test
  void abaOnTheFreeListIsCaughtByTheTag() {
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    long ctl = layout.classControlOffset(0);
    // A popper reads the head (slot A) and A's link (slot B), then stalls...
    long staleHead = mem.getLongVolatile(ctl);
    int a = SlotDescriptor.index(staleHead);
    int b = SlotDescriptor.link(mem.getLongVolatile(layout.slotRecordOffset(0, a)));
    // ...meanwhile A and B are taken and A alone comes back: the head is A again, linked past B.
    long refA = slots.tryAllocate(10, 1);
    long refB = slots.tryAllocate(10, 1);
    assertEquals(a, SlotAllocator.refIndex(refA));
    assertEquals(b, SlotAllocator.refIndex(refB));
    assertTrue(slots.freeAllocated(refA, 1));
    assertEquals(a, SlotDescriptor.index(mem.getLongVolatile(ctl)), "the head shows A again");
    // The stalled popper's CAS would install B, which is in use: the tag must make it fail.
    long withoutTag = SlotDescriptor.headWord(SlotDescriptor.tag(staleHead) + 1, false, b);
    assertFalse(mem.compareAndSetLong(ctl, staleHead, withoutTag), "ABA: a stale head must not match");
    assertTrue(slots.freeAllocated(refB, 1));
    assertAllFree(mem, layout);
  }

  @Test
  void rebuildRecoversSlotsLeftByProcessesKilledMidOperation() {
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    // 1. Killed between the head CAS and the state CAS of an allocation: FREE but unlinked.
    long ctl = layout.classControlOffset(0);
    long head = mem.getLongVolatile(ctl);
    int victim = SlotDescriptor.index(head);
    int next = SlotDescriptor.link(mem.getLongVolatile(layout.slotRecordOffset(0, victim)));
    assertTrue(mem.compareAndSetLong(ctl, head, SlotDescriptor.headWord(SlotDescriptor.tag(head) + 1, false, next)));
    // 2. Killed between the state CAS and the link of a free: FREE(g+1) but unlinked.
    long held = slots.tryAllocate(20_000, 3);
    long rec = layout.slotRecordOffset(SlotAllocator.refClass(held), SlotAllocator.refIndex(held));
    assertTrue(mem.compareAndSetLong(rec, mem.getLongVolatile(rec),
        SlotDescriptor.freeWord(SlotAllocator.refGeneration(held) + 1, SlotDescriptor.NIL)));
    // 3. Killed while holding slots, allocated and in flight both ways.
    long owned = slots.tryAllocate(10, 3);
    long sent = slots.tryAllocate(10, 3);
    assertTrue(slots.markInFlight(sent, 3, SlotDescriptor.HOST_ID));
    long toIt = slots.tryAllocate(10, SlotDescriptor.HOST_ID);
    assertTrue(slots.markInFlight(toIt, SlotDescriptor.HOST_ID, 3));
    long unrelated = slots.tryAllocate(10, 1);

    int freed = slots.reclaim(3);
    assertEquals(3, freed, "owned, sent and in flight to it");
    // Only the other process's slot is still in use, and every list is whole again.
    HubSnapshot.ClassUsage u = HubSnapshot.captureClass(mem, layout, 0);
    assertEquals(1, u.inUse(), u.toString());
    assertTrue(slots.freeAllocated(unrelated, 1));
    for (int c = 0; c < layout.classCount(); c++) {
      assertEquals(layout.classes.get(c).slotCount(), HubSnapshot.captureClass(mem, layout, c).free);
    }
    assertListsIntact(mem, layout, false);
    // The counts are exact but for the free killed between its state change and its count (case 2):
    // its slot stays counted, the documented drift of a process killed in that window.
    for (int c = 0; c < layout.classCount(); c++) {
      assertEquals(c == SlotAllocator.refClass(held) ? 1 : 0, slots.inUse(c), "class " + c);
    }
    assertFalse(slots.freeAllocated(owned, 3), "the dead owner's stale reference no longer matches");
  }

  @Test
  void concurrentAllocatorsNeverShareASlot() throws Exception {
    int threads = 4;
    int iterations = 100_000;
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    runOwners(threads, iterations, failures, null);
    assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    assertAllFree(file.buffer(), file.layout());
  }

  @Test
  void rebuildsRacingLiveAllocatorsLoseAndDuplicateNothing() throws Exception {
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread rebuilder = new Thread(() -> {
      while (!stop.get()) {
        slots.rebuildAll();
        Thread.yield();
      }
    });
    rebuilder.start();
    try {
      runOwners(3, 50_000, failures, stop);
    } finally {
      stop.set(true);
      rebuilder.join();
    }
    assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    assertAllFree(file.buffer(), file.layout());
  }

  @Test
  void aFreeGivesUpOnAStrayLockAndThePoolCheckRelinksItsSlot() {
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    long ref = slots.tryAllocate(100, 2);
    long ctl = layout.classControlOffset(0);
    long head = mem.getLongVolatile(ctl);
    // A stray write sets the lock bit, and nobody will ever clear it but the host.
    long strayLock = SlotDescriptor.headWord(SlotDescriptor.tag(head) + 7, true, SlotDescriptor.index(head));
    mem.putLongVolatile(ctl, strayLock);

    long start = System.nanoTime();
    assertTrue(slots.freeAllocated(ref, 2), "the free itself succeeds: the slot is the owner's to give back");
    long tookMillis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(tookMillis < 2_000, "the free spun on the stray lock for " + tookMillis + " ms");
    assertEquals(1, slots.unlinkedFrees());
    assertEquals(SlotDescriptor.FREE, SlotDescriptor.state(slots.stateWord(0, SlotAllocator.refIndex(ref))));

    SlotAllocator.ListCheck first = slots.check(0);
    assertTrue(first.problem != null && first.problem.contains("locked"), first.toString());
    assertFalse(first.needsRebuild(null), "a lock seen once may be a rebuild in progress");
    SlotAllocator.ListCheck second = slots.check(0);
    assertTrue(second.needsRebuild(first), "a lock that stays exactly so is stray: " + second);
    slots.rebuildClass(0);
    assertAllFree(mem, layout);
    SlotAllocator.ListCheck after = slots.check(0);
    assertTrue(after.problem == null && after.unlinked.isEmpty(), after.toString());
  }

  @Test
  void thePoolCheckFindsAFreeSlotThatStaysOffTheListAndOnlyThatOne() {
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    // A process killed between its state CAS and its link leaves a FREE slot off the list.
    long ref = slots.tryAllocate(100, 2);
    long rec = layout.slotRecordOffset(0, SlotAllocator.refIndex(ref));
    mem.putLongVolatile(rec, SlotDescriptor.freeWord(SlotAllocator.refGeneration(ref) + 1, SlotDescriptor.NIL));
    SlotAllocator.ListCheck first = slots.check(0);
    assertEquals(java.util.Set.of(SlotAllocator.refIndex(ref)), first.unlinked.keySet(), first.toString());
    assertFalse(first.needsRebuild(null), "seen once, it may be a free in progress");
    // A busy list moves between checks; the orphan stays with the same word.
    long other = slots.tryAllocate(100, 3);
    assertTrue(slots.freeAllocated(other, 3));
    SlotAllocator.ListCheck second = slots.check(0);
    assertTrue(second.needsRebuild(first), second.toString());
    slots.rebuildClass(0);
    assertAllFreeAfterAKill(mem, layout); // the kill came between the free's state change and its count

    // A slot that is freed between two checks (a different word each time) is never judged orphaned.
    SlotAllocator.ListCheck clean = slots.check(0);
    assertFalse(clean.needsRebuild(first));
    assertTrue(clean.unlinked.isEmpty());
  }

  @Test
  void thePoolCheckFindsACycleAndALinkOutOfRange() {
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    long head = mem.getLongVolatile(layout.classControlOffset(1));
    int top = SlotDescriptor.index(head);
    long topRec = layout.slotRecordOffset(1, top);
    int generation = SlotDescriptor.generation(mem.getLongVolatile(topRec));
    mem.putLongVolatile(topRec, SlotDescriptor.freeWord(generation, top)); // a slot linked to itself
    SlotAllocator.ListCheck cycle = slots.check(1);
    assertTrue(cycle.problem != null && cycle.problem.contains("cycle"), cycle.toString());
    assertTrue(cycle.needsRebuild(null), "a cycle is never transient on a list that did not move");
    mem.putLongVolatile(topRec, SlotDescriptor.freeWord(generation, 9999));
    SlotAllocator.ListCheck range = slots.check(1);
    assertTrue(range.problem != null && range.problem.contains("outside"), range.toString());
    slots.rebuildClass(1);
    assertAllFree(mem, layout);
  }

  @Test
  void freesRacingRebuildsNeverLoseOrDoubleLinkASlot() throws Exception {
    // The link a free writes must never overwrite the link a rebuild wrote for the same slot: a lost
    // link leaks slots, a stale one makes a cycle. Hammer both and check the lists after each round.
    for (int round = 0; round < 20; round++) {
      long gaveUpBefore = slots.unlinkedFrees();
      ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread rebuilder = new Thread(() -> {
        while (!stop.get()) {
          slots.rebuildClass(0);
          java.util.concurrent.locks.LockSupport.parkNanos(20_000); // rebuilds are rare; frees may wait out one
        }
      });
      rebuilder.start();
      try {
        runOwners(2, 5_000, failures, stop);
      } finally {
        stop.set(true);
        rebuilder.join();
      }
      assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
      if (slots.unlinkedFrees() > gaveUpBefore) {
        // A free gave up (the rebuilder was preempted holding the lock for long, on a busy machine):
        // its slot is FREE and off the list, and the host's pool check must bring it back.
        SlotAllocator.ListCheck first = slots.check(0);
        SlotAllocator.ListCheck second = slots.check(0);
        assertTrue(second.needsRebuild(first), "the check misses a slot a free left unlinked: " + second);
        slots.rebuildClass(0);
      }
      assertAllFree(file.buffer(), file.layout());
    }
  }

  /**
   * Each owner allocates a few slots of random sizes, stamps each with its id and a sequence, checks the
   * stamps before freeing: a slot handed to two owners shows up as a foreign stamp.
   */
  private void runOwners(int owners, int iterations, ConcurrentLinkedQueue<String> failures, AtomicBoolean stopWhenDone)
      throws InterruptedException {
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < owners; t++) {
      int owner = t;
      Thread th = new Thread(() -> {
        java.util.Random rnd = new java.util.Random(owner);
        long[] held = new long[3];
        try {
          start.await();
          for (int i = 0; i < iterations && failures.isEmpty(); i++) {
            for (int k = 0; k < held.length; k++) {
              int size = rnd.nextInt(3) == 0 ? 10_000 : 500;
              long ref;
              while ((ref = slots.tryAllocate(size, owner)) == SlotAllocator.NONE) {
                Thread.onSpinWait();
              }
              held[k] = ref;
              ByteBuffer v = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, 16);
              v.putLong(0, ((long) owner << 32) | i);
              v.putLong(8, ref);
            }
            for (long ref : held) {
              ByteBuffer v = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, 16);
              long stamp = v.getLong(0);
              if (stamp != (((long) owner << 32) | i) || v.getLong(8) != ref) {
                failures.add("owner " + owner + " found a foreign stamp in " + SlotAllocator.describe(ref));
              }
              if (!slots.freeAllocated(ref, owner)) {
                failures.add("owner " + owner + " could not free its " + SlotAllocator.describe(ref));
              }
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      ts.add(th);
      th.start();
    }
    start.countDown();
    for (Thread th : ts) {
      th.join();
    }
    if (stopWhenDone != null) {
      stopWhenDone.set(true);
    }
  }
}
