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
 * {@link DescriptorRing}, two producers racing for the last free entry: a ring of two entries holds
 * one unread descriptor (stamp 9); two threads each try to send one more.
 *
 * <p>Property: FULL is reported exactly when the ring is full. One claim takes the last entry, the other
 * is refused FULL: never both taken (one would overwrite an unread entry), never both refused (a
 * spurious FULL), and the winner's descriptor is read back whole after the unread one.
 *
 * <p>Outcomes: (A published 1 / FULL 0, B published 1 / FULL 0, then the three reads: stamps, 0 for
 * nothing, -1 torn). Either producer may win: the two results listed. Anything else refused both, took
 * both, or lost or tore a descriptor.
 */
@JCStressTest
@Outcome(id = "1, 0, 9, 1, 0", expect = ACCEPTABLE, desc = "A took the last entry, B was told FULL")
@Outcome(id = "0, 1, 9, 2, 0", expect = ACCEPTABLE, desc = "B took the last entry, A was told FULL")
@Outcome(expect = FORBIDDEN, desc = "both or neither got the entry, or a descriptor was lost or torn")
@State
public class DescriptorRingLastEntryTest {

  private final PrivateRing r = new PrivateRing(2);

  public DescriptorRingLastEntryTest() {
    r.publish(9);
  }

  @Actor
  public void producerA(IIIII_Result out) {
    out.r1 = r.publish(1);
  }

  @Actor
  public void producerB(IIIII_Result out) {
    out.r2 = r.publish(2);
  }

  @Arbiter
  public void consumer(IIIII_Result out) {
    out.r3 = r.consume();
    out.r4 = r.consume();
    out.r5 = r.consume();
  }
}
