package dev.spoke.shm;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link SlotAllocator} allocation and free racing a rebuild of the free list (host only): a pool of
 * two free slots; peer 1 allocates one and frees it while the host rebuilds the list. An allocation
 * caught between its two CASes (head moved past the slot, slot not yet marked ALLOCATED) meets the
 * rebuild adopting that slot: the rebuild's generation bump makes the allocation's second CAS fail, and
 * it retries, so the slot is never both on the list and allocated.
 *
 * <p>Property: the allocation gets a slot that is really its own — its free, which checks the exact
 * state word the allocation produced, succeeds — and afterwards both slots are FREE and on the list
 * exactly once, the head unlocked. Allowed by the allocator's contract, and seen only if the rebuild is
 * held up (descheduled) while it holds the lock for longer than their bounded waits: an allocation that
 * gives up and reports no slot, and a free that gives up linking and leaves its slot FREE and off the
 * list for the host's pool check.
 *
 * <p>Outcomes: (allocated, freed, list problem other than FREE slots left off — 0 for none, FREE slots
 * left off, of those the ones whose free did not give up). Allocated and freed with every slot linked
 * once; or, rarely, no slot at all, or the slot left off by a free that gave up. A slot that was not
 * the caller's, a slot lost off the list, or a broken list is forbidden.
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 0, 0", expect = ACCEPTABLE, desc = "allocated and freed; both slots linked once")
@Outcome(id = "0, 0, 0, 0, 0", expect = ACCEPTABLE_INTERESTING, desc = "the allocation gave up on the rebuild's lock")
@Outcome(id = "1, 1, 0, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "the free gave up on the rebuild's lock")
@Outcome(expect = FORBIDDEN, desc = "a slot not really the caller's, a slot lost off the list, or the list broken")
@State
public class SlotAllocatorAllocateRebuildTest {

  private static final int PEER = 1;

  private final PrivatePool pool = new PrivatePool(2);

  @Actor
  public void peer(IIIII_Result r) {
    long ref = pool.allocate(PEER);
    r.r1 = ref != SlotAllocator.NONE ? 1 : 0;
    r.r2 = ref != SlotAllocator.NONE && pool.free(ref, PEER) ? 1 : 0;
  }

  @Actor
  public void host() {
    pool.slots.rebuildClass(0);
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r3 = pool.structureProblem();
    r.r4 = Integer.bitCount(pool.unlinkedFreeMask());
    r.r5 = Integer.bitCount(pool.lostMask());
  }
}
