package dev.spoke.host;

import dev.spoke.Channel;
import java.time.Duration;

/**
 * The host's connection to a plugin that runs elsewhere, made by a {@link RemoteConnector}: what a
 * {@link Plugin} handle of a remote plugin stands on.
 *
 * <p>Implementations are thread-safe.
 */
public interface RemoteLink {

  /** What a link tells its plugin handle. Calls come from the link's threads, one at a time. */
  interface Events {
    /** The plugin is reachable and says it serves: calls go through. */
    void ready();

    /** The plugin cannot be reached, or says it does not serve; {@code why} says which, naming the address. */
    void unavailable(String why);
  }

  /**
   * The channel to the plugin's services, the same for the link's life. While the plugin is unavailable,
   * calls fail with {@code UNAVAILABLE} naming its address, or with wait-for-ready wait for it up to
   * their deadline.
   */
  Channel channel();

  /** Tries to connect now, without waiting out the back-off between reconnection attempts. */
  void reconnectNow();

  /**
   * Closes the link: no new calls; calls in flight get {@code grace} to finish and are then cancelled.
   * The plugin itself runs on. Idempotent.
   *
   * @return true if every call finished within the grace period
   */
  boolean close(Duration grace);
}
