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
 * {@link SlotAllocator#reclaim} (host only, after a peer died) racing a free: a pool of three slots;
 * peer 1 holds one slot and has another in flight to the host. The host's receiver frees the in-flight
 * slot as the host reclaims everything of peer 1 (freeing what it held or had in flight, then rebuilding
 * the list).
 *
 * <p>Property: every slot comes back exactly once: the in-flight slot is freed by exactly one of the
 * two, the held slot by the reclaim, and afterwards every slot is FREE and on the list exactly once,
 * with no cycle and the head unlocked — except a slot whose free gave up linking it while the reclaim's
 * rebuild held the lock for longer than a free waits (the rebuild descheduled), which stays FREE and off
 * the list for the host's pool check, by contract.
 *
 * <p>Outcomes: (the receiver's free succeeded, slots the reclaim freed, list problem other than FREE
 * slots left off — 0 for none, FREE slots left off, of those the ones whose free did not give up). The
 * free wins (the reclaim frees only the held slot) or the reclaim does (both); rarely, the free wins and
 * gives up linking. Anything else freed a slot twice or not at all, lost one, or broke the list.
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 0, 0", expect = ACCEPTABLE, desc = "the free won; the reclaim freed the held slot")
@Outcome(id = "0, 2, 0, 0, 0", expect = ACCEPTABLE, desc = "the reclaim freed both")
@Outcome(id = "1, 1, 0, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "the free won and gave up on the rebuild's lock")
@Outcome(expect = FORBIDDEN, desc = "a slot freed twice or not at all, lost off the list, or the list broken")
@State
public class SlotAllocatorReclaimTest {

  private static final int PEER = 1;
  private static final int HOST = SlotDescriptor.HOST_ID;

  private final PrivatePool pool = new PrivatePool(3);
  private final long inFlight;

  public SlotAllocatorReclaimTest() {
    inFlight = pool.allocate(PEER);
    pool.slots.markInFlight(inFlight, PEER, HOST);
    pool.allocate(PEER); // held
  }

  @Actor
  public void receiver(IIIII_Result r) {
    r.r1 = pool.freeInFlight(inFlight, PEER, HOST) ? 1 : 0;
  }

  @Actor
  public void host(IIIII_Result r) {
    r.r2 = pool.slots.reclaim(PEER);
  }

  @Arbiter
  public void afterwards(IIIII_Result r) {
    r.r3 = pool.structureProblem();
    r.r4 = Integer.bitCount(pool.unlinkedFreeMask());
    r.r5 = Integer.bitCount(pool.lostMask());
  }
}
