package dev.spoke.shm;

import java.util.concurrent.locks.LockSupport;

/**
 * Wakes a parked consumer across processes: a futex sequence word and a "parked" flag in the hub, one
 * pair per consumer (each peer's receive thread, and the host's receive thread for all peers).
 *
 * <p>Protocol, so that a wake-up is never lost and never paid for needlessly:
 *
 * <ol>
 *   <li>The consumer reads the sequence, sets parked = 1 (volatile), fences, re-checks its rings, and
 *       only if they are still empty calls futex-wait on the sequence it read; then parked = 0.
 *   <li>A producer publishes its descriptor, fences, and reads parked; only if it is set does it bump
 *       the sequence and call futex-wake.
 * </ol>
 *
 * <p>Either the producer sees parked = 1 (and wakes, and the bumped sequence makes a late futex-wait
 * return at once), or the consumer's re-check, ordered after its store of parked by the fence, sees the
 * descriptor. Producers make a system call only for a parked consumer.
 *
 * <p>Thread-safe; {@link #prepare}, {@link #await} and {@link #done} belong to the consumer.
 */
final class Doorbell {

  /** Without futexes the consumer sleeps at most this long between checks. */
  private static final long FALLBACK_PARK_NANOS = 200_000;

  private final SharedBuffer mem;
  private final long sequenceOffset;
  private final long parkedOffset;
  private final long sequenceAddress;

  Doorbell(SharedBuffer mem, long sequenceOffset, long parkedOffset) {
    this.mem = mem;
    this.sequenceOffset = sequenceOffset;
    this.parkedOffset = parkedOffset;
    this.sequenceAddress = Futex.AVAILABLE ? Futex.address(mem.buffer()) + sequenceOffset : 0;
  }

  /** Consumer: announces that it is about to park; returns the sequence to wait on. Re-check after. */
  int prepare() {
    int sequence = mem.getIntVolatile(sequenceOffset);
    mem.putIntVolatile(parkedOffset, 1);
    // NOTE: the store of parked must precede the consumer's re-check of its rings.
    SharedBuffer.fullFence();
    return sequence;
  }

  /** Consumer: sleeps until woken or {@code timeoutNanos} pass, unless the sequence moved already. */
  void await(int sequence, long timeoutNanos) {
    if (Futex.AVAILABLE) {
      Futex.await(sequenceAddress, sequence, timeoutNanos);
    } else {
      LockSupport.parkNanos(Math.min(timeoutNanos, FALLBACK_PARK_NANOS));
    }
  }

  /** Consumer: no longer parked. */
  void done() {
    mem.putIntRelease(parkedOffset, 0);
  }

  /** Producer: wakes the consumer if it is parked. Call after publishing. */
  void ring() {
    // NOTE: the publish (a release store) must precede the read of parked.
    SharedBuffer.fullFence();
    if (mem.getIntVolatile(parkedOffset) != 0) {
      mem.getAndAddInt(sequenceOffset, 1);
      if (Futex.AVAILABLE) {
        Futex.wake(sequenceAddress, Integer.MAX_VALUE);
      }
    }
  }

  /** Wakes the consumer whether or not it announced parking: for shutdown and liveness events. */
  void ringAlways() {
    mem.getAndAddInt(sequenceOffset, 1);
    if (Futex.AVAILABLE) {
      Futex.wake(sequenceAddress, Integer.MAX_VALUE);
    }
  }

  boolean isParked() {
    return mem.getIntVolatile(parkedOffset) != 0;
  }
}
