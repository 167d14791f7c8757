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
 * {@link SlotAllocator}, a free waiting on a head left locked (a stray write, or a host that died
 * mid-rebuild) while the host's rebuild takes the lock over: a pool of three slots, one held by peer 1,
 * the head's lock bit set; the peer frees its slot as the host rebuilds the list. The free meets the
 * stray lock, the rebuild's adoption of its slot, or the unlocked list, depending on timing.
 *
 * <p>Property: the free succeeds and returns, and afterwards every FREE slot is on the list exactly
 * once, with no cycle and the head unlocked — whether the free linked its slot itself, the rebuild
 * adopted it, or the free gave up before the rebuild came (the rebuild adopts it then). Only if the
 * rebuild passes the slot before the free makes it FREE, and is then held up (descheduled) longer than
 * the free waits on the lock, does the slot stay FREE and off the list for the host's pool check, by
 * contract — and then the free reports that it gave up.
 *
 * <p>Outcomes: (free done, FREE slots, list problem other than FREE slots left off — 0 for none, FREE
 * slots left off, of those the ones whose free did not give up): freed with every slot linked once; or,
 * rarely, left off by a free that gave up. Anything else lost the slot or left the list broken or
 * locked.
 */
@JCStressTest
@Outcome(id = "1, 3, 0, 0, 0", expect = ACCEPTABLE, desc = "freed; every slot linked once, unlocked")
@Outcome(id = "1, 3, 0, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "left off by a free that gave up while the rebuild was held up")
@Outcome(expect = FORBIDDEN, desc = "the free failed, a FREE slot was lost off the list or linked twice, or the list stayed locked")
@State
public class SlotAllocatorStrayLockTest {

  private static final int PEER = 1;

  private final PrivatePool pool = new PrivatePool(3);
  private final long held;

  public SlotAllocatorStrayLockTest() {
    held = pool.allocate(PEER);
    pool.lockHeadAsAStrayWrite();
  }

  @Actor
  public void peer(IIIII_Result r) {
    r.r1 = pool.free(held, PEER) ? 1 : 0;
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
