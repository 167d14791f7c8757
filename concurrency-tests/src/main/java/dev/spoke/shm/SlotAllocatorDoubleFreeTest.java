package dev.spoke.shm;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link SlotAllocator}, two frees of one slot at once: a pool of two slots, one of them in flight from
 * peer 1 to the host; the host (its receiver) and peer 1 (the sender taking it back) free it at once —
 * the double free that handed one slot to two users in the original design.
 *
 * <p>Property: exactly one free succeeds, and the slot goes onto the free list exactly once.
 *
 * <p>Outcomes: (the receiver's free succeeded, the sender's free succeeded, slots linked, list problem
 * — 0 for intact). Either free may win: the two results listed. Both succeeding (the slot pushed twice),
 * neither, or a broken list is forbidden.
 */
@JCStressTest
@Outcome(id = "1, 0, 2, 0", expect = ACCEPTABLE, desc = "the receiver's free won")
@Outcome(id = "0, 1, 2, 0", expect = ACCEPTABLE, desc = "the sender's free won")
@Outcome(expect = FORBIDDEN, desc = "freed twice or not at all, or the list broke")
@State
public class SlotAllocatorDoubleFreeTest {

  private static final int PEER = 1;
  private static final int HOST = SlotDescriptor.HOST_ID;

  private final PrivatePool pool = new PrivatePool(2);
  private final long ref;

  public SlotAllocatorDoubleFreeTest() {
    ref = pool.allocate(PEER);
    pool.slots.markInFlight(ref, PEER, HOST);
  }

  @Actor
  public void receiver(IIII_Result r) {
    r.r1 = pool.slots.freeInFlight(ref, PEER, HOST) ? 1 : 0;
  }

  @Actor
  public void sender(IIII_Result r) {
    r.r2 = pool.slots.freeInFlight(ref, PEER, HOST) ? 1 : 0;
  }

  @Arbiter
  public void afterwards(IIII_Result r) {
    r.r3 = pool.linkedCount();
    r.r4 = pool.listProblem();
  }
}
