package dev.spoke.peer;

import dev.spoke.Channel;
import java.io.IOException;
import java.time.Duration;

/**
 * A remote plugin's side of the network, started by a {@link RemoteServing}.
 *
 * <p>Implementations are thread-safe.
 */
public interface RemoteEndpoint {

  /**
   * The address it serves on: as the arguments gave it until {@link #ready()}, then as bound, port
   * resolved ({@code 127.0.0.1:41237}).
   */
  String address();

  /**
   * A channel to the host's services at {@link PeerArguments#hostTarget()}, the same for the endpoint's
   * life; without a host target, its calls fail with {@code UNAVAILABLE} saying so.
   */
  Channel hostChannel();

  /**
   * The plugin's services are bound: it listens from now on, and hosts that watch it see it ready.
   * Nothing listens before, so no call can reach a plugin whose services are not there yet.
   *
   * @throws IOException if it cannot listen on the address (in use, say), saying why
   */
  void ready() throws IOException;

  /**
   * Stops: hosts see it no longer serving, it takes no new calls, running calls get {@code grace} to
   * finish and are then cancelled; the host channel closes. Idempotent.
   *
   * @return true if every call finished within the grace period
   */
  boolean shutdown(Duration grace);
}
