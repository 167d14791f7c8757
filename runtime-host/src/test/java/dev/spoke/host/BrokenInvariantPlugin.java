package dev.spoke.host;

import dev.spoke.peer.SpokePeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin whose code in {@code dev.spoke} reports a failed assertion the way Spoke's receive thread
 * does when it survives one (it logs the error and goes on), then serves as the Echo plugin.
 */
public final class BrokenInvariantPlugin {
  private static final Logger log = LoggerFactory.getLogger(BrokenInvariantPlugin.class);

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    log.error("receive loop failed; continuing", new AssertionError("ring owned by another thread"));
    peer.addService(new EchoPlugin.Echo(peer));
    peer.serve();
  }
}
