package dev.spoke.internal;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@link InboundDelivery.Delivering}, a delivering thread's stay in application code racing its
 * watchdog's take-over: the thread writes what its roles hold (a plain field here, as a ring
 * consumer's position is), enters application code ({@link InboundDelivery.Delivering#enter}) and
 * leaves it ({@link InboundDelivery.Delivering#stopWatch}); the watchdog tries to take its roles over
 * with no time limit, so it wins whenever it sees the thread inside.
 *
 * <p>Property: exactly one side ends up with the roles, and a watchdog that takes them sees everything
 * the thread wrote before it entered (what it takes over is complete).
 *
 * <p>Outcomes: (the thread kept its roles, the watchdog took them, what the watchdog saw of the
 * thread's earlier write: 1 seen, 0 not, -1 did not take over).
 */
@JCStressTest
@Outcome(id = "1, 0, -1", expect = ACCEPTABLE, desc = "the thread left first, or the watchdog saw it outside")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "taken over, with the thread's earlier writes")
@Outcome(id = "0, 1, 0", expect = FORBIDDEN, desc = "taken over without the thread's earlier writes")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "both hold the roles")
@Outcome(expect = FORBIDDEN, desc = "nobody holds the roles")
@State
public class DeliveringTakeOverTest {

  private final InboundDelivery.Delivering state = new InboundDelivery.Delivering(Thread.currentThread());
  /** What the thread's roles hold: written by the thread before it enters application code. */
  private int roleData;

  @Actor
  public void deliveringThread(III_Result r) {
    roleData = 1;
    state.enter();
    r.r1 = state.stopWatch() ? 1 : 0;
  }

  @Actor
  public void watchdog(III_Result r) {
    if (state.tryTakeOver(0, System.nanoTime())) {
      r.r2 = 1;
      r.r3 = roleData;
    } else {
      r.r3 = -1;
    }
  }
}
