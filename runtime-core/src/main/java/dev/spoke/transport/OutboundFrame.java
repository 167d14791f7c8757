package dev.spoke.transport;

import dev.spoke.StatusException;
import java.nio.ByteBuffer;

/**
 * A frame being written: space for its payload that the transport lends (a shared-memory slot, for the
 * hub) and its header. The sender fills {@link #payload()} and {@link #header()}, then either {@link
 * #commit()}s or {@link #abort()}s; exactly one of the two must happen, after which the frame and its
 * buffer belong to the transport again.
 *
 * <p>Not thread-safe: one thread writes a frame.
 */
public interface OutboundFrame {

  /**
   * The payload buffer: position 0, limit the length that was claimed. Write exactly that many bytes.
   * Valid until commit or abort.
   */
  ByteBuffer payload();

  /** The header to fill in before committing. */
  FrameHeader header();

  /**
   * Sends the frame. Frames committed by one thread are delivered in commit order; frames of different
   * threads are not ordered against each other. May wait, up to the deadline given at claim, for room
   * in the transport; never waits on the transport's own receive thread.
   *
   * @throws StatusException if the frame cannot be sent: {@code UNAVAILABLE} when the transport is
   *     closed, {@code DEADLINE_EXCEEDED} or {@code RESOURCE_EXHAUSTED} when room did not come in time.
   *     The frame is released either way.
   */
  void commit() throws StatusException;

  /** Releases the frame without sending it. Safe to call after a failed commit. */
  void abort();
}
