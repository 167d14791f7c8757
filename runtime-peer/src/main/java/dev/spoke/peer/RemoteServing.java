package dev.spoke.peer;

import dev.spoke.ServiceRegistry;
import java.io.IOException;
import java.util.concurrent.Executor;

/**
 * Serves a plugin over a network transport when its arguments say {@code --listen}, instead of over a
 * hub; the peer runtime itself has none. {@code spoke-grpc} provides one over gRPC; {@link SpokePeer}
 * finds it with {@link java.util.ServiceLoader} on the class path.
 *
 * <p>Implementations are thread-safe.
 */
public interface RemoteServing {

  /**
   * Prepares to serve {@code services} (and those added to it later) on {@link PeerArguments#listen()},
   * secured as the arguments say, with {@code executor} as the services' default executor; it listens
   * from {@link RemoteEndpoint#ready()} on. The channel to the host works at once.
   *
   * @throws IOException if the arguments' TLS files are unusable, saying why
   */
  RemoteEndpoint start(PeerArguments arguments, ServiceRegistry services, Executor executor) throws IOException;
}
