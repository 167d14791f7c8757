package dev.spoke.host;

import dev.spoke.peer.SpokePeer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin that logs through slf4j-simple as a user's plugin does: an INFO line, then a WARN line with
 * an exception, both before it says READY; then it serves until the host stops it.
 */
public final class LoggingPlugin {
  private static final Logger log = LoggerFactory.getLogger(LoggingPlugin.class);

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    log.info("plugin-side info");
    log.warn("plugin-side warning", new IllegalStateException("for the test"));
    peer.addService(new EchoPlugin.Echo(peer));
    peer.serve();
  }
}
