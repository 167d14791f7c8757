package dev.spoke.shm;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIIII_Result;

/**
 * {@link SlotAllocator}, allocations and frees interleaved: a pool of two slots; owners 1 and 2 each
 * allocate a slot, free it and allocate again, at once — pops and pushes of the free list racing, the
 * same slot coming back under a new generation (the ABA case the head's tag guards).
 *
 * <p>Property: a slot is never handed to two owners and never lost. Each owner holds at most one slot
 * at a time, so the other's slot is always on the list when it pops: every allocation succeeds, every
 * free of a slot its owner holds succeeds, the two final slots differ and their state words name their
 * owners; once both are freed the list links both slots exactly once.
 *
 * <p>Outcomes: (owner 1's final slot index, owner 2's, both words name their owners 1 / 0, every step
 * succeeded 1 / 0, slots linked after freeing both, list problem — 0 for intact). The final slots are
 * 0 and 1 in either order: the two results listed. Anything else shared a slot, lost one, failed a step
 * or broke the list.
 */
@JCStressTest
@Outcome(id = "0, 1, 1, 1, 2, 0", expect = ACCEPTABLE, desc = "owner 1 ended with slot 0, owner 2 with slot 1")
@Outcome(id = "1, 0, 1, 1, 2, 0", expect = ACCEPTABLE, desc = "owner 1 ended with slot 1, owner 2 with slot 0")
@Outcome(expect = FORBIDDEN, desc = "a slot shared or lost, a step failed, or the list broke")
@State
public class SlotAllocatorChurnTest {

  private final PrivatePool pool = new PrivatePool(2);
  private long final1 = SlotAllocator.NONE;
  private long final2 = SlotAllocator.NONE;
  private boolean ok1;
  private boolean ok2;

  @Actor
  public void owner1() {
    long first = pool.allocate(1);
    boolean freed = first != SlotAllocator.NONE && pool.slots.freeAllocated(first, 1);
    final1 = pool.allocate(1);
    ok1 = freed && final1 != SlotAllocator.NONE;
  }

  @Actor
  public void owner2() {
    long first = pool.allocate(2);
    boolean freed = first != SlotAllocator.NONE && pool.slots.freeAllocated(first, 2);
    final2 = pool.allocate(2);
    ok2 = freed && final2 != SlotAllocator.NONE;
  }

  @Arbiter
  public void afterwards(IIIIII_Result r) {
    r.r1 = final1 == SlotAllocator.NONE ? -1 : SlotAllocator.refIndex(final1);
    r.r2 = final2 == SlotAllocator.NONE ? -1 : SlotAllocator.refIndex(final2);
    boolean named = r.r1 >= 0 && r.r2 >= 0 && pool.allocatedTo(r.r1) == 1 && pool.allocatedTo(r.r2) == 2;
    r.r3 = named ? 1 : 0;
    r.r4 = ok1 && ok2 ? 1 : 0;
    boolean freed1 = final1 != SlotAllocator.NONE && pool.slots.freeAllocated(final1, 1);
    boolean freed2 = final2 != SlotAllocator.NONE && pool.slots.freeAllocated(final2, 2);
    r.r5 = freed1 && freed2 ? pool.linkedCount() : -1;
    r.r6 = pool.listProblem();
  }
}
