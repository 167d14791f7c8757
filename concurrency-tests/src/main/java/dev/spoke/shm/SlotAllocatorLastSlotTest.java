package dev.spoke.shm;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link SlotAllocator}, two owners racing for the last free slot: a pool of one slot; owners 1 and 2
 * allocate at once.
 *
 * <p>Property: a slot is never handed to two owners and never lost: exactly one allocation gets it, its
 * state word names that owner, and the free list is left empty and intact.
 *
 * <p>Outcomes: (owner 1 got a slot, owner 2 got a slot, the owner the slot's word names, slots on the
 * free list, list problem — 0 for intact). Either owner may win: the two results listed. Anything else
 * gave the slot to both or neither, or broke the list.
 */
@JCStressTest
@Outcome(id = "1, 0, 1, 0, 0", expect = ACCEPTABLE, desc = "owner 1 got the slot")
@Outcome(id = "0, 1, 2, 0, 0", expect = ACCEPTABLE, desc = "owner 2 got the slot")
@Outcome(expect = FORBIDDEN, desc = "the slot went to both owners or to neither, or the list broke")
@State
public class SlotAllocatorLastSlotTest {

  private final PrivatePool pool = new PrivatePool(1);

  @Actor
  public void owner1(IIIII_Result r) {
    r.r1 = pool.allocate(1) != SlotAllocator.NONE ? 1 : 0;
  }

  @Actor
  public void owner2(IIIII_Result r) {
    r.r2 = pool.allocate(2) != SlotAllocator.NONE ? 1 : 0;
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r3 = pool.allocatedTo(0);
    r.r4 = pool.linkedCount();
    r.r5 = pool.listProblem();
  }
}
