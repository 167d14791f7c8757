package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link StreamFlow} send credits, spent by the sender while the receive thread adds a grant: the
 * stream has one credit left; the sender sends twice (two {@link StreamFlow#takeCredit}s); the receive
 * thread grants one more ({@link StreamFlow#addCredits}), raising a flag just before. Afterwards the
 * credits left are counted by taking them until none is left.
 *
 * <p>Property: the credit count never goes negative — no send takes a credit that was never granted —
 * and no grant or spent credit is lost: what was taken plus what is left is what there was plus what
 * was granted.
 *
 * <p>Outcomes: (first take, second take, grant flag seen by the sender after its second take, credits
 * left). The first take always has its credit. The second either finds the grant (then nothing is left)
 * or comes too early (then the grant is left), and in the second case the grant may or may not have
 * started: the three results listed. A second take that succeeded before the grant had even started
 * took a credit that did not exist; any other count lost or invented a credit.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 0", expect = ACCEPTABLE, desc = "the second send took the granted credit")
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "the second send came before the grant, which is left")
@Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE, desc = "the second send came as the grant landed; it is left")
@Outcome(id = "1, 1, 0, 0", expect = FORBIDDEN, desc = "a send took a credit before it was granted: the count went negative")
@Outcome(expect = FORBIDDEN, desc = "a grant or a credit was lost, or one was invented")
@State
public class StreamFlowCreditsTest {

  private final StreamFlow flow = new StreamFlow();
  private volatile boolean grantStarted;

  public StreamFlowCreditsTest() {
    for (int i = 1; i < Connection.INITIAL_WINDOW; i++) {
      flow.takeCredit();
    }
  }

  @Actor
  public void sender(IIII_Result r) {
    r.r1 = flow.takeCredit() ? 1 : 0;
    r.r2 = flow.takeCredit() ? 1 : 0;
    r.r3 = grantStarted ? 1 : 0;
  }

  @Actor
  public void receiveThread() {
    grantStarted = true;
    flow.addCredits(1);
  }

  @Arbiter
  public void afterwards(IIII_Result r) {
    int left = 0;
    while (left <= 2 * Connection.INITIAL_WINDOW && flow.takeCredit()) {
      left++;
    }
    r.r4 = left;
  }
}
