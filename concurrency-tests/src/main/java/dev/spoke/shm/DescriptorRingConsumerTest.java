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
 * {@link DescriptorRing}, a producer against the consumer's {@link DescriptorRing#hasNext} and
 * {@link DescriptorRing#advance} on a full ring, across the wrap: a ring of two entries whose first
 * entry already carried (and gave back) one descriptor, now full with stamps 1 and 2 (the second in the
 * reused entry). The producer reads the shared head, then tries to send stamp 3 — its cached head says
 * full, so the claim must re-read the head the consumer is moving; meanwhile the consumer reads up to
 * three descriptors; afterwards the rest are read.
 *
 * <p>Property: no descriptor is lost, duplicated or torn (a reused entry's old contents never pass for
 * new ones); the send is refused FULL only while the consumer has not handed back an entry — never
 * when the producer had already seen the head move — and never succeeds without it (that would
 * overwrite an unread descriptor).
 *
 * <p>Outcomes: (send published 1 / FULL 0, the producer saw the head moved 1 / 0, how many the racing
 * consumer read, every stamp read in order as digits, -1 if any was torn). Refused FULL: the head had
 * not moved when the producer looked, the consumer read 0 to 2, and 1 then 2 came out. Published: the
 * consumer had read at least one by then (1 to 3), whether or not the producer saw it, and 1, 2, 3 came
 * out. Anything else is a spurious FULL, an overrun, or a lost, duplicated, reordered or torn
 * descriptor.
 */
@JCStressTest
@Outcome(id = "0, 0, [012], 12", expect = ACCEPTABLE, desc = "ring full at the third send, refused")
@Outcome(id = "1, [01], [123], 123", expect = ACCEPTABLE, desc = "an entry was handed back in time, third sent")
@Outcome(id = "0, 1, .*", expect = FORBIDDEN, desc = "FULL though the producer had seen room")
@Outcome(expect = FORBIDDEN, desc = "an overrun, or a descriptor lost, duplicated, reordered or torn")
@State
public class DescriptorRingConsumerTest {

  private final PrivateRing r = new PrivateRing(2);
  private int consumed;
  private int delivered;

  public DescriptorRingConsumerTest() {
    // One descriptor through the ring and back, then two more: full, and the second one's entry reused.
    r.publish(9);
    r.consume();
    r.publish(1);
    r.publish(2);
  }

  @Actor
  public void producer(IIII_Result out) {
    out.r2 = r.ring.headVolatile() >= 2 ? 1 : 0;
    out.r1 = r.publish(3);
  }

  @Actor
  public void consumer(IIII_Result out) {
    int n = 0;
    for (int stamp; n < 3 && (stamp = r.consume()) != PrivateRing.NOTHING; n++) {
      record(stamp);
    }
    out.r3 = n;
  }

  @Arbiter
  public void afterwards(IIII_Result out) {
    for (int stamp; (stamp = r.consume()) != PrivateRing.NOTHING && consumed < 4; ) {
      record(stamp);
    }
    out.r4 = delivered;
  }

  private void record(int stamp) {
    consumed++;
    if (stamp == StampedDescriptor.TORN || delivered < 0) {
      delivered = -1;
    } else {
      delivered = delivered * 10 + stamp;
    }
  }
}
