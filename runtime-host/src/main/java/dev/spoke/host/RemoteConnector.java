package dev.spoke.host;

/**
 * Connects the host to plugins that run elsewhere, over a network transport; the host itself has none.
 * {@code spoke-grpc} provides one over gRPC ({@code dev.spoke.grpc.GrpcConnector}), configured the
 * gRPC-java way (TLS, credentials); a {@link PluginSpec#remote remote spec} names the connector to use,
 * or the host finds one with {@link java.util.ServiceLoader} on its class path.
 *
 * <p>Implementations are thread-safe.
 */
public interface RemoteConnector {

  /**
   * Opens a link to the plugin {@code pluginName} at {@code target} and keeps it: the link connects,
   * watches whether the plugin serves, and reconnects by itself until closed, telling {@code events} of
   * every change. Returns at once, before the first connection.
   *
   * @param target where the plugin listens, as the transport writes addresses ({@code 10.0.0.7:7443})
   * @throws IllegalArgumentException if the target is not an address this connector understands
   */
  RemoteLink connect(String pluginName, String target, RemoteLink.Events events);
}
