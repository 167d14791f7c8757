package dev.spoke.transport;

import dev.spoke.Status;
import dev.spoke.StatusException;

/**
 * A bidirectional, ordered carrier of frames between two sides of one connection: the seam between the
 * call layer and the shared-memory hub (or the in-memory pair used in tests). It knows nothing of calls.
 *
 * <p>Contract, shared by every implementation and checked by one contract test suite:
 *
 * <ul>
 *   <li>Frames one thread commits arrive in that order, header fields and payload bytes intact.
 *   <li>Any number of threads may claim and commit at once.
 *   <li>Inbound frames are delivered to the listener on one receive thread, one at a time.
 *   <li>Waits for room (claim, commit) are bounded by the caller's deadline and never happen on the
 *       transport's own receive thread.
 *   <li>After close, or once the other side is gone, claims fail with {@code UNAVAILABLE} and the
 *       listener hears {@link FrameListener#onTransportClosed} once.
 * </ul>
 *
 * <p>Thread-safe.
 */
public interface Transport {

  /**
   * A claim deadline that asks the transport not to wait at all: a frame that finds no room is queued
   * and sent, in order, as soon as there is room. For news that must not hold anyone up (a cancel).
   */
  long NO_WAIT = 0;

  /**
   * {@link #receiveOnCallerThread} result: nothing was waiting, and the calling thread is the one that
   * delivers this transport's frames (it runs a handler that made a blocking call), so nobody else
   * will: it must keep calling rather than park.
   */
  int RECEIVE_KEEP_POLLING = -2;

  /** Starts delivering inbound frames to {@code listener}. Called once. */
  void start(FrameListener listener);

  /**
   * Claims a frame with a payload of exactly {@code payloadLength} bytes (0 for none).
   *
   * @param deadlineNanos {@link System#nanoTime()} value after which to stop waiting for room, {@link
   *     Long#MAX_VALUE} to wait as long as the transport's own limit allows, or {@link #NO_WAIT}
   * @throws StatusException {@code RESOURCE_EXHAUSTED} if the payload is larger than {@link
   *     #maxPayloadLength()} (at once) or no room came in time; {@code UNAVAILABLE} if closed
   */
  OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException;

  /** The largest payload one frame can carry. */
  int maxPayloadLength();

  /**
   * Lets a thread that is waiting for one of this transport's frames deliver inbound frames itself, on
   * its own thread, when no other thread is delivering them at this moment: a blocking caller then
   * receives its response with no thread hand-off. Frames it finds for other calls are delivered to the
   * listener exactly as the receive thread would deliver them.
   *
   * @return frames delivered (0 if none was waiting), -1 if another thread is delivering now or the
   *     transport does not support it (the default; the caller then waits to be handed its frame), or
   *     {@link #RECEIVE_KEEP_POLLING}
   */
  default int receiveOnCallerThread(int maxFrames) {
    return -1;
  }

  /**
   * Closes the transport: nothing more is sent or delivered, and the listener hears {@code status}.
   * Idempotent.
   */
  void close(Status status);

  /** Who is on the other side, for messages: for example {@code plugin 'minifier' (pid 4242)}. */
  String remoteName();
}
