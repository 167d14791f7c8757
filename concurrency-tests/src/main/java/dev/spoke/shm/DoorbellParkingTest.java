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
 * The parking protocol of {@link Doorbell} over a {@link DescriptorRing}'s parked flag, a producer
 * sending as the consumer goes to sleep. Both sides take the steps of the real code on the real
 * classes: the producer publishes, fences and reads the consumer's parked flag, ringing the doorbell
 * only if it is set ({@code HubTransport.tryPublish}); the consumer reads the doorbell's sequence, sets
 * the flag, fences and re-checks the ring ({@code ReceiveLoop.park} with {@code
 * RingConsumer.receiverParking} and {@code hasInboundForReceiver}). It would then wait on the futex only
 * if the re-check found nothing, and that wait returns at once if the sequence moved since it read it.
 * (The fences themselves are in the callers, which need a whole hub: a change to those callers is not
 * seen here.)
 *
 * <p>What races is the two stores each side must see the other's of: the producer's publication (the
 * release store of the descriptor's sequence) and the consumer's store of its flag. So the steps before
 * them — the producer claiming and writing its descriptor, the consumer reading the doorbell's sequence
 * — are taken beforehand, and the producer's ring, which follows its read of the flag and takes no part
 * in the race, afterwards: the two sides then race in step, as often as the machine allows.
 *
 * <p>Property: no lost wake-up. Either the producer sees the flag and rings (moving the sequence the
 * consumer read, so its wait cannot sleep), or the consumer's re-check sees the descriptor, or both;
 * and the descriptor arrives whole.
 *
 * <p>Outcomes: (producer saw the flag 1 / 0, consumer's re-check saw the descriptor 1 / 0, doorbell
 * sequence moved since the consumer read it 1 / 0, the descriptor's stamp as read afterwards). The
 * listed three are "only the re-check saw it", "only the producer rang" and "both". Neither (the
 * consumer would sleep with a descriptor waiting and nobody to ring), a ring that does not move the
 * sequence, or a lost or torn descriptor is forbidden.
 */
@JCStressTest
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "the consumer's re-check saw it; no system call")
@Outcome(id = "1, 0, 1, 1", expect = ACCEPTABLE, desc = "the producer saw the flag and rang")
@Outcome(id = "1, 1, 1, 1", expect = ACCEPTABLE, desc = "both: a needless ring")
@Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "a lost wake-up: neither saw the other")
@Outcome(expect = FORBIDDEN, desc = "a ring that would not end the wait, or a lost or torn descriptor")
@State
public class DoorbellParkingTest {

  private final PrivateRing r = new PrivateRing(2);
  private final long position;
  private final int sequence;

  public DoorbellParkingTest() {
    position = r.ring.tryClaim(PrivateRing.EPOCH);
    StampedDescriptor.write(r.mem, r.ring.entryOffset(position), 1);
    sequence = r.doorbell.sequence(); // the consumer's first step: the sequence it would wait on
  }

  @Actor
  public void producer(IIII_Result out) {
    r.ring.publish(position);
    SharedBuffer.fullFence();
    out.r1 = r.ring.isConsumerParked() ? 1 : 0;
  }

  @Actor
  public void consumer(IIII_Result out) {
    r.ring.consumerParked(true);
    SharedBuffer.fullFence();
    out.r2 = r.ring.hasNextHint() ? 1 : 0;
  }

  @Arbiter
  public void afterwards(IIII_Result out) {
    if (out.r1 == 1) {
      r.doorbell.wake(); // the producer's ring
    }
    out.r3 = r.doorbell.sequence() != sequence ? 1 : 0;
    out.r4 = r.consume();
  }
}
