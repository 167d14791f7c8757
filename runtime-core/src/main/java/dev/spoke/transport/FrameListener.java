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
}
