package dev.spoke.transport;

import dev.spoke.Status;
import dev.spoke.StatusException;

/**
 * A bidirectional, ordered carrier of frames between two sides of one connection: the seam between the
 * call layer and the shared-memory hub (or the in-memory pair used in tests). It knows nothing of calls.
 *
 * <p>Contract, shared by every implementation and checked by one contract test suite
 * ({@code dev.spoke.testing.AbstractTransportContractTest} in the test jar of runtime-core):
 *
 * <ul>
 *   <li>Frames one thread commits arrive in that order, header fields and payload bytes intact.
 *   <li>Any number of threads may claim and commit at once.
 *   <li>Inbound frames are delivered to the listener one at a time, by the thread that holds the
 *       transport's delivery role: its receive thread, or a caller in {@link #receiveOnCallerThread}.
 *   <li>Every frame claimed is either committed or aborted; a claim never leaves the transport stuck,
 *       whatever is thrown between claim and commit.
 *   <li>Waits for room (claim, commit) are bounded by the caller's deadline and never happen on a
 *       thread that delivers frames (such a send queues, in order, and goes out when there is room).
 *   <li>A delivering thread that is about to block in application code it ran inline (a handler bound
 *       to a direct executor that makes a blocking call) gives its delivery role up first through
 *       {@link dev.spoke.internal.InboundDelivery}: the transport goes on delivering on another thread,
 *       so neither its own response nor anybody else's frame waits for it.
 *   <li>After close, or once the other side is gone, claims fail with {@code UNAVAILABLE} and the
 *       listener hears {@link FrameListener#onTransportClosed} once.
 * </ul>
 *
 * <p>Thread-safe.
 */
public interface Transport {

  /**
   * A claim deadline that asks the transport not to wait at all: a frame that finds no room is queued
   * and sent, in order, as soon as there is room. For frames that must not hold anyone up: a cancel, a
   * server call's responses. The queue is bounded per transport; a frame beyond the bound fails with
   * {@code RESOURCE_EXHAUSTED} naming the other side, which is not reading.
   */
  long NO_WAIT = 0;

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
   * How a user makes room for a payload of {@code payloadLength} bytes, more than {@link
   * #maxPayloadLength()}: a sentence for the error that refuses it, or null if the limit is fixed.
   */
  default String payloadLimitAdvice(long payloadLength) {
    return null;
  }

  /**
   * Lets a thread that is waiting for a response on this transport deliver inbound frames itself, on
   * its own thread, when no other thread is delivering them at this moment: a blocking caller then
   * receives its response with no thread hand-off. It delivers only frames addressed to calls this side
   * started (responses, closes, credits), exactly as the receive thread would deliver them, and stops at
   * the first frame of any other kind, which it leaves to the receive thread: an application thread
   * never runs another call's handler.
   *
   * <p>A transport may keep the delivery role for the calling thread from one call to the next, so
   * that a caller spinning for its response does not take and give back the role on every look; it
   * still gives it back as soon as a frame of another kind waits. A thread that called this must call
   * {@link #endReceiveOnCallerThread()} when it stops looking, on every path.
   *
   * @return frames delivered (0 if none was waiting), or -1 if another thread is delivering now or the
   *     transport does not support it (the default; the caller then waits to be handed its frame)
   */
  default int receiveOnCallerThread(int maxFrames) {
    return -1;
  }

  /**
   * The calling thread stops looking for its response through {@link #receiveOnCallerThread}: the
   * transport gives back whatever it kept for it. A no-op if it kept nothing (the default).
   */
  default void endReceiveOnCallerThread() {}

  /**
   * The calling thread, which looked for its response through {@link #receiveOnCallerThread} (and has
   * called {@link #endReceiveOnCallerThread()}), found nothing in its time to spin and now parks until
   * its response is handed to it: a receive thread that stood back while the caller looked may take
   * over again. A no-op by default.
   */
  default void callerParks() {}

  /**
   * Keeps the payload of the frame being delivered beyond its delivery, in the transport's own buffer
   * (no copy), until the returned handle is released: the receiver of a large message then parses it
   * where it lies. Called only by the listener, from within {@link FrameListener#onFrame}, on the
   * delivering thread, with the payload it was lent (its position may have moved past a metadata
   * prefix; the handle's buffer starts there).
   *
   * <p>The buffer stays unchanged by this transport until released, but the other side could still
   * write to shared memory it once had: a receiver that must trust the bytes copies what it checks. A
   * transport that cannot lend beyond the delivery returns null (the default), as for a payload it
   * holds only for the frame (a small one carried inline); the listener then copies it.
   */
  default RetainedPayload retainPayload(java.nio.ByteBuffer payload) {
    return null;
  }

  /**
   * Explains an error the call layer met while it wrote into or read from one of this transport's
   * payload buffers: a transport over a memory-mapped file gets the JVM's {@link InternalError} for an
   * access that faulted once the file was truncated (or a payload that read as garbage and did not
   * parse, before that fault was raised), and answers with the status the caller is to see (and closes
   * itself), looking past the same fault raised again while it looks. Returns null when the error is
   * not the transport's to explain (the default); the caller then lets it propagate.
   */
  default Status explainFault(Throwable error) {
    return null;
  }

  /**
   * Closes the transport: nothing more is sent or delivered, and the listener hears {@code status}.
   * Idempotent.
   */
  void close(Status status);

  /** Who is on the other side, for messages: for example {@code plugin 'minifier' (pid 4242)}. */
  String remoteName();
}
