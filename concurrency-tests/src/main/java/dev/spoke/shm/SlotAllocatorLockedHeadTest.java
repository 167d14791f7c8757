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
 * {@link SlotAllocator} frees that find the free list's head locked and nobody to unlock it (a stray
 * write, or a host that died mid-rebuild): a pool of three slots, two held by peer 1, the head's lock
 * bit set; two of the peer's threads free one slot each, at once. Afterwards the host rebuilds the
 * list, as its pool check would.
 *
 * <p>Property: a free never spins forever on a locked head. Each gives up linking after bounded
 * attempts, says so (the allocator counts such frees), and returns success, leaving its slot FREE and
 * off the list and the list untouched; the rebuild then puts every FREE slot on the list exactly once.
 *
 * <p>Outcomes: (frees done, FREE slots, head still the same locked word 1 / 0, FREE slots off the list,
 * frees that reported giving up, list problem after the rebuild — 0 for intact). Nothing here depends
 * on the interleaving: one allowed result. A free that never returned would time the test out, which
 * the suite reports as a failure.
 */
@JCStressTest
@Outcome(id = "2, 3, 1, 2, 2, 0", expect = ACCEPTABLE, desc = "both gave up linking; the rebuild linked everything")
@Outcome(expect = FORBIDDEN, desc = "a free failed, touched the locked list or did not report giving up, or the rebuild left the list broken")
@State
public class SlotAllocatorLockedHeadTest {

  private static final int PEER = 1;

  private final PrivatePool pool = new PrivatePool(3);
  private final long a;
  private final long b;
  private final long lockedHead;
  private volatile boolean freedA;
  private volatile boolean freedB;

  public SlotAllocatorLockedHeadTest() {
    a = pool.allocate(PEER);
    b = pool.allocate(PEER);
    pool.lockHeadAsAStrayWrite();
    lockedHead = pool.head();
  }

  @Actor
  public void peerThread1() {
    freedA = pool.slots.freeAllocated(a, PEER);
  }

  @Actor
  public void peerThread2() {
    freedB = pool.slots.freeAllocated(b, PEER);
  }

  @Arbiter
  public void afterwards(IIIIII_Result r) {
    r.r1 = (freedA ? 1 : 0) + (freedB ? 1 : 0);
    r.r2 = pool.freeCount();
    r.r3 = pool.head() == lockedHead ? 1 : 0;
    r.r4 = Integer.bitCount(pool.unlinkedFreeMask());
    r.r5 = (int) pool.slots.unlinkedFrees();
    pool.slots.rebuildClass(0);
    r.r6 = pool.listProblem();
  }
}
