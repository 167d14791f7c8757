package dev.spoke.host;

import dev.spoke.transport.FrameKind;
import dev.spoke.transport.OutboundFrame;

/**
 * A plugin that says READY, then sends one frame with a flag the protocol does not define: the host
 * must disconnect it, and it must notice and exit (status 3) rather than linger.
 */
public final class BadFlagsPlugin {
  public static void main(String[] args) throws Exception {
    RawPlugin p = RawPlugin.attach(args);
    p.ready();
    OutboundFrame f = p.hub.transport().claim(0, System.nanoTime() + 5_000_000_000L);
    f.header().clear().kind(FrameKind.CALL_START).callId(1).flags(0x40);
    f.commit();
    System.out.println("SENT");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
