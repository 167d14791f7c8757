package dev.spoke.shm;

import java.util.concurrent.locks.LockSupport;

/**
 * Wakes a parked receive loop across processes: a futex word in the hub, one per receive loop (each
 * plugin's, and the host's for all plugins), used with the parked flag of each ring the loop reads
 * ({@link DescriptorRing#consumerParked}).
 *
 * <p>Protocol, so that a wake-up is never lost and never paid for needlessly:
 *
 * <ol>
 *   <li>The loop reads the sequence, sets the parked flag of every ring it reads, fences, re-checks
 *       the rings, and only if they are still empty calls futex-wait on the sequence it read; then it
 *       clears the flags.
 *   <li>A producer publishes its descriptor, fences, and reads the parked flag of that ring; only if it
 *       is set does it bump the sequence and call futex-wake.
 * </ol>
 *
 * <p>Either the producer sees the flag (and wakes, and the bumped sequence makes a late futex-wait
 * return at once), or the loop's re-check, ordered after its store of the flag by the fence, sees the
 * descriptor. A ring a waiting caller polls itself keeps its flag clear, so its producers make no system
 * call at all (see {@link HubTransport#receiveOnCallerThread}).
 *
 * <p>Thread-safe.
 */
final class Doorbell {

  /** Without futexes the loop sleeps at most this long between checks. */
  private static final long FALLBACK_PARK_NANOS = 200_000;

  private final SharedBuffer mem;
  private final long sequenceOffset;
  private final long sequenceAddress;

  Doorbell(SharedBuffer mem, long sequenceOffset) {
    this.mem = mem;
    this.sequenceOffset = sequenceOffset;
    this.sequenceAddress = Futex.AVAILABLE ? Futex.address(mem.buffer()) + sequenceOffset : 0;
  }

  /** The loop, before it announces parking: the sequence to wait on. */
  int sequence() {
    return mem.getIntVolatile(sequenceOffset);
  }

  /** The loop: sleeps until woken or {@code timeoutNanos} pass, unless the sequence moved already. */
  void await(int sequence, long timeoutNanos) {
    if (Futex.AVAILABLE) {
      Futex.await(sequenceAddress, sequence, timeoutNanos);
    } else {
      LockSupport.parkNanos(Math.min(timeoutNanos, FALLBACK_PARK_NANOS));
    }
  }

  /** Wakes the loop: producers after finding a ring's flag set; liveness events always. */
  void wake() {
    mem.getAndAddInt(sequenceOffset, 1);
    if (Futex.AVAILABLE) {
      Futex.wake(sequenceAddress, Integer.MAX_VALUE);
    }
  }
}
