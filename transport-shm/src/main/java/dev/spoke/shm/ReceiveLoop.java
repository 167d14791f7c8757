package dev.spoke.shm;

import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive thread of a host or a plugin: polls the inbound ring of every transport it serves,
 * spins for an adaptive window ({@link SpinWindow}) when all are empty, then parks on its doorbell.
 *
 * <p>Each transport is polled only by the thread that holds its consumer lock: normally this loop, but
 * a blocking caller waiting for a response may take it and poll the ring itself ({@link
 * HubTransport#receiveOnCallerThread}). Parking (see {@link Doorbell}): read the doorbell's sequence;
 * mark this loop parked; set the parked flag of every ring no caller is polling; fence; re-check every
 * ring; wait. A caller that gives a ring back while this loop is parked sets that ring's flag itself
 * and re-checks it, so a frame that lands between the two is never stranded.
 *
 * <p>Thread-safe: {@link #isParked()} is read by callers; the rest runs on the loop's own thread.
 */
final class ReceiveLoop implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ReceiveLoop.class);
  private static final int BATCH = 64;
  /** How soon a loop with queued outbound frames looks again for room. */
  static final long OVERFLOW_RETRY_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

  /** What the loop serves. */
  interface Source {
    /** The transports to poll now (entries may be null). */
    HubTransport[] transports();

    /** Other work of the loop's owner, done each round (the host's reclaims); returns how much. */
    int otherWork();

    /** True if {@link #otherWork} has something waiting. */
    boolean hasOtherWork();

    /** True once the loop must end. */
    boolean stopping();
  }

  private final Source source;
  private final Doorbell doorbell;
  private final IdleStrategy strategy;
  private final long parkLimitNanos;
  /** The current park limit: the configured one, doubled after each quiet wake up to 8 times that. */
  private long parkNanos;
  private volatile boolean parked;
  private volatile Thread thread;

  ReceiveLoop(Source source, Doorbell doorbell, HubConfig config) {
    this.source = source;
    this.doorbell = doorbell;
    this.strategy = config.idleStrategy();
    this.parkLimitNanos = config.parkLimit().toNanos();
    this.parkNanos = parkLimitNanos;
  }

  /** True while the loop is parked (or about to park): a caller giving a ring back must re-arm it. */
  boolean isParked() {
    return parked;
  }

  boolean isLoopThread() {
    return Thread.currentThread() == thread;
  }

  /** Wakes the loop whether or not a ring says so: for new transports, liveness events and stopping. */
  void wake() {
    doorbell.wake();
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    SpinWindow spin = new SpinWindow(strategy);
    // After a park that ran out its time with nobody ringing, an idle loop looks once and parks again
    // without spinning: an idle plugin then costs one short wake-up per park limit.
    boolean quietWake = false;
    while (!source.stopping()) {
      try {
        int work = source.otherWork();
        HubTransport[] transports = source.transports();
        for (HubTransport t : transports) {
          if (t != null) {
            work += t.pollAsReceiver(BATCH);
          }
        }
        if (work > 0) {
          spin.worked();
          quietWake = false;
          continue;
        }
        if (!quietWake && spin.keepSpinning()) {
          Thread.onSpinWait();
          continue;
        }
        quietWake = !park(transports);
        parkNanos = quietWake ? Math.min(parkNanos * 2, parkLimitNanos * 8) : parkLimitNanos;
        spin.parked();
      } catch (Throwable t) {
        log.error("receive loop failed; continuing", t);
      }
    }
  }

  /** Parks until rung or the park limit passes; false if it woke with nobody having rung. */
  private boolean park(HubTransport[] transports) {
    int sequence = doorbell.sequence();
    parked = true;
    boolean overflow = false;
    for (HubTransport t : transports) {
      if (t != null) {
        t.receiverParking();
        overflow |= t.overflowDepth() > 0;
      }
    }
    // NOTE: the flags (and `parked`) must be visible before the rings are re-checked.
    SharedBuffer.fullFence();
    boolean pending = source.hasOtherWork() || source.stopping();
    for (HubTransport t : transports) {
      pending |= t != null && t.hasInboundForReceiver();
    }
    if (!pending) {
      // Frames queued by this thread wait for a consumer that does not ring us: look again soon.
      doorbell.await(sequence, overflow ? OVERFLOW_RETRY_NANOS : parkNanos);
    }
    parked = false;
    for (HubTransport t : transports) {
      if (t != null) {
        t.receiverAwake();
      }
    }
    return pending || overflow || doorbell.sequence() != sequence;
  }
}
