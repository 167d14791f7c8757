package dev.spoke.transport;

import dev.spoke.Status;
import java.nio.ByteBuffer;

/**
 * Receives what a {@link Transport} delivers, one frame at a time, on the thread that holds the
 * transport's delivery role (its receive thread, or a blocking caller waiting for its response). It
 * must not block. It may run application code inline (a handler or callback bound to a direct
 * executor), but only after it has finished reading the frame: once that code blocks, the transport may
 * deliver the next frames on another thread, reusing the lent header and payload.
 */
public interface FrameListener {

  /** No frame unread: what {@link #onTransportClosed(Status, long[])} hears when nothing is known. */
  long[] NONE_UNREAD = new long[0];

  /**
   * A frame arrived. {@code header} and {@code payload} (the bytes from its position to its limit;
   * read-only) are lent until this call returns or runs application code, whichever comes first: the
   * transport reuses both after that.
   */
  void onFrame(FrameHeader header, ByteBuffer payload);

  /**
   * The transport closed and will deliver nothing more: the other side went away or the transport was
   * shut down. {@code status} says why (for a crashed plugin: its name, pid and exit status). Called
   * once.
   */
  void onTransportClosed(Status status);

  /**
   * The transport closed, as {@link #onTransportClosed(Status)}; and the other side is known never to
   * have read the CALL_START frames this side sent for the calls {@code unreadCallStarts} lists (their
   * call ids, each at most once, in no order). Its process died before it took them off the transport:
   * whatever they asked for was not done, and they may be sent again elsewhere.
   *
   * <p>A transport reports a frame unread only when it knows: the other side's process is gone and
   * the frame was still waiting for it, or never left this side. A frame the other side took may have
   * been acted on even if its process died an instant later; it is never listed. A transport that
   * cannot tell lists nothing, and an empty list is the common case. Called instead of {@link
   * #onTransportClosed(Status)}, once; the default forwards to it, so listeners that do not care about
   * unread calls need not implement this.
   */
  default void onTransportClosed(Status status, long[] unreadCallStarts) {
    onTransportClosed(status);
  }
}
