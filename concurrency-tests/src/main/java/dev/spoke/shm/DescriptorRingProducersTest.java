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
 * {@link DescriptorRing}, concurrent producers: two threads each claim, write and publish two
 * descriptors at once into a ring of four entries (every field written with plain stores, then the
 * sequence with release); the consumer reads everything afterwards.
 *
 * <p>Property: no descriptor is lost, duplicated or torn (every field of each one read back agrees),
 * each producer's descriptors come out in the order it sent them, and a ring with room never reports
 * FULL (four claims into four entries all succeed).
 *
 * <p>Outcomes: the stamps of the five reads (producer A sends 1 then 2, B 3 then 4; 0 is a read that
 * found nothing, -1 a torn descriptor). Positions go to claims in the order of their tail CASes, which
 * may interleave the producers in any way: every merge of (1, 2) with (3, 4) — the six listed — then
 * nothing. Anything else lost, repeated, reordered or tore a descriptor, or refused a claim.
 */
@JCStressTest
@Outcome(id = "1, 2, 3, 4, 0", expect = ACCEPTABLE, desc = "A's, then B's")
@Outcome(id = "1, 3, 2, 4, 0", expect = ACCEPTABLE, desc = "interleaved, A first")
@Outcome(id = "1, 3, 4, 2, 0", expect = ACCEPTABLE, desc = "B's between A's")
@Outcome(id = "3, 1, 2, 4, 0", expect = ACCEPTABLE, desc = "A's between B's")
@Outcome(id = "3, 1, 4, 2, 0", expect = ACCEPTABLE, desc = "interleaved, B first")
@Outcome(id = "3, 4, 1, 2, 0", expect = ACCEPTABLE, desc = "B's, then A's")
@Outcome(expect = FORBIDDEN, desc = "a descriptor lost, duplicated, torn, reordered, or a claim refused")
@State
public class DescriptorRingProducersTest {

  private final PrivateRing r = new PrivateRing(4);

  @Actor
  public void producerA() {
    r.publish(1);
    r.publish(2);
  }

  @Actor
  public void producerB() {
    r.publish(3);
    r.publish(4);
  }

  @Arbiter
  public void consumer(IIIII_Result out) {
    out.r1 = r.consume();
    out.r2 = r.consume();
    out.r3 = r.consume();
    out.r4 = r.consume();
    out.r5 = r.consume();
  }
}
