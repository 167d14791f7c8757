package dev.spoke.transport;

import dev.spoke.Status;
import java.nio.ByteBuffer;

/**
 * Receives what a {@link Transport} delivers. Called on the transport's receive thread, so it must not
 * block, and it must not run user code.
 */
public interface FrameListener {

  /**
   * A frame arrived. {@code header} and {@code payload} (the bytes from its position to its limit;
   * read-only) are lent for the duration of this call only: the transport reuses both once it returns.
   */
  void onFrame(FrameHeader header, ByteBuffer payload);

  /**
   * The transport closed and will deliver nothing more: the other side went away or the transport was
   * shut down. {@code status} says why (for a crashed plugin: its name, pid and exit status). Called
   * once.
   */
  void onTransportClosed(Status status);
}
