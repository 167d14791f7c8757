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
 * {@link SlotAllocator} frees racing a rebuild of the free list (host only): a pool of three slots, two
 * held by peer 1; the peer frees both while the host rebuilds the list (locks the head, adopts every
 * FREE slot by a CAS that links it and bumps its generation, unlocks). A free caught between its two
 * steps (state word FREE, then linked) meets the rebuild: the slot's link lives in its state word, so
 * the free's late link can never overwrite the one the rebuild gave it.
 *
 * <p>Property: both frees succeed, and afterwards every FREE slot is on the list exactly once — none
 * linked twice, no cycle, the head unlocked — except one whose free gave up linking it: a free waits a
 * bounded time on the locked head, so if the rebuild is held up (descheduled) for longer than that
 * after passing the slot, the slot stays FREE and off the list for the host's pool check, by contract.
 *
 * <p>Outcomes: (frees that succeeded, FREE slots, list problem other than FREE slots left off — 0 for
 * none, FREE slots left off the list, of those the ones whose free did not give up). Whatever the
 * order: both freed, all three FREE, nothing wrong with the list, nothing left off; or, rarely, one or
 * two left off by frees that gave up. A FREE slot left off the list by a free that did not give up is
 * lost; that, a failed free, or a broken list is forbidden.
 */
@JCStressTest
@Outcome(id = "2, 3, 0, 0, 0", expect = ACCEPTABLE, desc = "both freed, every slot linked once")
@Outcome(id = "2, 3, 0, [12], 0", expect = ACCEPTABLE_INTERESTING, desc = "left off by a free that gave up on the rebuild's lock")
@Outcome(expect = FORBIDDEN, desc = "a free failed, a slot was lost off the list, linked twice or in a cycle")
@State
public class SlotAllocatorFreeRebuildTest {

  private static final int PEER = 1;

  private final PrivatePool pool = new PrivatePool(3);
  private final long a;
  private final long b;

  public SlotAllocatorFreeRebuildTest() {
    a = pool.allocate(PEER);
    b = pool.allocate(PEER);
  }

  @Actor
  public void peer(IIIII_Result r) {
    r.r1 = (pool.free(a, PEER) ? 1 : 0) + (pool.free(b, PEER) ? 1 : 0);
  }

  @Actor
  public void host() {
    pool.slots.rebuildClass(0);
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r2 = pool.freeCount();
    r.r3 = pool.structureProblem();
    r.r4 = Integer.bitCount(pool.unlinkedFreeMask());
    r.r5 = Integer.bitCount(pool.lostMask());
  }
}
