package dev.spoke.peer;

import dev.spoke.Channel;
import java.time.Duration;

/**
 * A remote plugin's side of the network, started by a {@link RemoteServing}.
 *
 * <p>Implementations are thread-safe.
 */
public interface RemoteEndpoint {

  /** The address it serves on, port resolved: {@code 127.0.0.1:41237}. */
  String address();

  /**
   * A channel to the host's services at {@link PeerArguments#hostTarget()}, the same for the endpoint's
   * life; without a host target, its calls fail with {@code UNAVAILABLE} saying so.
   */
  Channel hostChannel();

  /** The plugin serves from now on: hosts that watch it see it ready. */
  void ready();

  /**
   * Stops: hosts see it no longer serving, it takes no new calls, running calls get {@code grace} to
   * finish and are then cancelled; the host channel closes. Idempotent.
   *
   * @return true if every call finished within the grace period
   */
  boolean shutdown(Duration grace);
}
