package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@link StreamFlow}'s ready notice, the last credit spent as a grant arrives: the stream has one
 * credit; the sender spends it ({@link StreamFlow#takeCredit}), which makes the stream not ready and an
 * onReady owed; the receive thread adds one credit ({@link StreamFlow#addCredits}), whose result says
 * whether the call's executor must run to deliver queued messages or an onReady. Afterwards the
 * executor's part runs: {@link StreamFlow#takeReadyNotice}, twice.
 *
 * <p>Property: the notice is owed exactly once and never stranded. If the stream stopped being ready
 * (its last credit was spent before the grant landed), the grant reports that an onReady waits, and the
 * executor then takes the notice once; if the grant landed first, the stream never stopped being ready
 * and no notice is owed. A notice owed while the grant reported nothing waits for an executor run nobody
 * scheduled: an application thread that saw isReady() false waits for an onReady that only some later
 * grant would deliver.
 *
 * <p>Outcomes: (credit taken, grant reported work, first notice, second notice, ready at the end).
 * The take comes before the grant (notice owed and reported, taken once) or after it (nothing owed;
 * the grant reports nothing); a grant that reports work when none is owed costs one needless executor
 * run and is allowed. The notice taken twice, a stream not ready with a credit left, or a notice owed
 * but not reported (once possible: the take's CAS, then the whole grant, then the take's store of the
 * notice) is forbidden.
 */
@JCStressTest
@Outcome(id = "1, 1, 1, 0, 1", expect = ACCEPTABLE, desc = "last credit spent, then granted: onReady reported and taken once")
@Outcome(id = "1, 0, 0, 0, 1", expect = ACCEPTABLE, desc = "granted before the last credit was spent: never unready, nothing owed")
@Outcome(id = "1, 1, 0, 0, 1", expect = ACCEPTABLE, desc = "a needless executor run, nothing owed")
@Outcome(expect = FORBIDDEN, desc = "the notice stranded or taken twice, or the credits miscounted")
@State
public class StreamFlowReadyNoticeTest {

  private final StreamFlow flow = new StreamFlow();

  public StreamFlowReadyNoticeTest() {
    for (int i = 1; i < Connection.INITIAL_WINDOW; i++) {
      flow.takeCredit();
    }
  }

  @Actor
  public void sender(IIIII_Result r) {
    r.r1 = flow.takeCredit() ? 1 : 0;
  }

  @Actor
  public void receiveThread(IIIII_Result r) {
    r.r2 = flow.addCredits(1) ? 1 : 0;
  }

  @Arbiter
  public void executor(IIIII_Result r) {
    r.r3 = flow.takeReadyNotice() ? 1 : 0;
    r.r4 = flow.takeReadyNotice() ? 1 : 0;
    r.r5 = flow.isReady() ? 1 : 0;
  }
}
