package dev.spoke.grpc;

import dev.spoke.BindableService;
import dev.spoke.Metadata;
import dev.spoke.ServiceRegistry;
import dev.spoke.grpc.internal.RegistryHandlers;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC-java server (Netty) serving Spoke services, with the standard health service beside them:
 * what a remote plugin, or a host that lets remote plugins call it back, listens with.
 *
 * <pre>{@code
 * try (GrpcServer server = GrpcServer.builder("127.0.0.1:7443")
 *     .addService(new MinifierService())
 *     .credentials(TlsServerCredentials.create(certChain, privateKey))   // gRPC-java's own TLS
 *     .intercept(BearerToken.required(token))
 *     .start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>It serves a Spoke {@link ServiceRegistry}: services added to it while the server runs are served
 * at once, and each runs on the executor it was bound with ({@link dev.spoke.DirectExecutor}: on gRPC's
 * transport thread) or else on the server's. It listens only where it is told, and with plaintext
 * unless given credentials; use a loopback address, or TLS. The health service ({@code
 * grpc.health.v1.Health}, for the whole server: service name {@code ""}) says {@code SERVING} once
 * started unless told otherwise ({@link Builder#notServingAtStart}), and {@code NOT_SERVING} from the
 * moment a shutdown begins, so that clients stop sending before it stops. With {@link
 * Builder#reflection()} it also answers gRPC's server reflection, so that tools such as grpcurl can list
 * and call its services without their {@code .proto} files.
 *
 * <p>Messages may be up to {@link Builder#maxMessageSize} (default {@value #DEFAULT_MAX_MESSAGE_SIZE}
 * bytes, the largest slot of a default hub); headers and trailers up to Spoke's own limit.
 *
 * <p>Thread-safe.
 */
public final class GrpcServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);

  /** The largest message by default: 16 MiB, as the largest slot of a hub with the default size classes. */
  public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 << 20;
  /** Headers and trailers: Spoke's limit for its own encoding, plus room for gRPC's and HTTP/2's. */
  static final int MAX_METADATA_SIZE = 2 * Metadata.MAX_ENCODED_BYTES;

  private final Server server;
  private final ServiceRegistry registry;
  private final HealthStatusManager health;
  private final String address;

  private GrpcServer(Server server, ServiceRegistry registry, HealthStatusManager health) {
    this.server = server;
    this.registry = registry;
    this.health = health;
    this.address = describe(server.getListenSockets());
  }

  /**
   * A server that will listen on {@code hostAndPort}: {@code 127.0.0.1:7443}, {@code [::1]:7443},
   * {@code localhost:0} (port 0: any free port; {@link #port()} says which).
   */
  public static Builder builder(String hostAndPort) {
    return new Builder(parseAddress(hostAndPort));
  }

  /** A server that will listen on {@code address}. */
  public static Builder builder(SocketAddress address) {
    return new Builder(address);
  }

  /** The address it listens on, port resolved: {@code 127.0.0.1:41237}. */
  public String address() {
    return address;
  }

  /** The port it listens on. */
  public int port() {
    return server.getPort();
  }

  /** The Spoke services it serves; services added here are served at once. */
  public ServiceRegistry registry() {
    return registry;
  }

  /** What the health service says of the whole server: {@code SERVING} or {@code NOT_SERVING}. */
  public void setServing(boolean serving) {
    health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /** The gRPC-java server underneath. */
  public Server grpcServer() {
    return server;
  }

  /**
   * Stops: the health service says {@code NOT_SERVING} for good, no new calls are taken, running calls
   * get {@code grace} to finish and are then cancelled. Idempotent.
   *
   * @return true if every call finished within the grace period
   */
  public boolean shutdown(Duration grace) {
    health.enterTerminalState();
    server.shutdown();
    boolean finished = false;
    try {
      finished = server.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!finished) {
      log.warn("gRPC server at {}: calls still running after the {} ms grace period; cancelling them", address,
          grace.toMillis());
      server.shutdownNow();
      try {
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("gRPC server at {} did not terminate within 5 s of cancelling its calls", address);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return finished;
  }

  /** {@link #shutdown} with a grace period of 5 s. */
  @Override
  public void close() {
    shutdown(Duration.ofSeconds(5));
  }

  @Override
  public String toString() {
    return "GrpcServer{" + address + ", " + registry + "}";
  }

  static SocketAddress parseAddress(String hostAndPort) {
    Objects.requireNonNull(hostAndPort, "hostAndPort");
    int colon = hostAndPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostAndPort.length() - 1) {
      throw new IllegalArgumentException("'" + hostAndPort + "' is not host:port (such as 127.0.0.1:7443)");
    }
    String host = hostAndPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostAndPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the port of '" + hostAndPort + "' is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("the port of '" + hostAndPort + "' is not between 0 and 65535");
    }
    return new InetSocketAddress(host, port);
  }

  private static String describe(List<? extends SocketAddress> addresses) {
    if (addresses.isEmpty()) {
      return "(not listening)";
    }
    SocketAddress a = addresses.get(0);
    if (a instanceof InetSocketAddress) {
      InetSocketAddress inet = (InetSocketAddress) a;
      String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
    }
    return a.toString();
  }

  /** Configures a {@link GrpcServer}. Not thread-safe. */
  public static final class Builder {
    private final SocketAddress address;
    private ServiceRegistry registry = new ServiceRegistry();
    private boolean ownRegistry = true;
    private final List<io.grpc.ServerServiceDefinition> grpcServices = new ArrayList<>();
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private final List<dev.spoke.ServerInterceptor> spokeInterceptors = new ArrayList<>();
    private ServerCredentials credentials = InsecureServerCredentials.create();
    private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    private Executor executor;
    private boolean direct;
    private boolean servingAtStart = true;
    private boolean reflection;

    private Builder(SocketAddress address) {
      this.address = Objects.requireNonNull(address, "address");
    }

    /** Serves {@code service} on the server's executor. */
    public Builder addService(BindableService service) {
      registry.addService(service);
      return this;
    }

    /** Serves {@code service} on {@code serviceExecutor}. */
    public Builder addService(BindableService service, Executor serviceExecutor) {
      registry.addService(service, serviceExecutor);
      return this;
    }

    /**
     * Serves the services of {@code services}, now and as they change (a host's, say), instead of a
     * registry of the server's own; services added to this builder afterwards go to it.
     *
     * @throws IllegalStateException if services were added to this builder before: they would be lost
     */
    public Builder registry(ServiceRegistry services) {
      Objects.requireNonNull(services, "services");
      if (ownRegistry && !registry.services().isEmpty()) {
        throw new IllegalStateException("registry(...) is given after addService(...): give it first, and the"
            + " services added after it go to it");
      }
      this.registry = services;
      this.ownRegistry = false;
      return this;
    }

    /** Serves a plain gRPC-java service beside the Spoke ones. */
    public Builder addGrpcService(io.grpc.BindableService service) {
      grpcServices.add(service.bindService());
      return this;
    }

    /** Serves a plain gRPC-java service beside the Spoke ones. */
    public Builder addGrpcService(io.grpc.ServerServiceDefinition service) {
      grpcServices.add(service);
      return this;
    }

    /**
     * How connections are secured, the gRPC-java way: {@code TlsServerCredentials} (with {@code
     * clientAuth(REQUIRE)} and a trust manager for mutual TLS). Default: plaintext.
     */
    public Builder credentials(ServerCredentials serverCredentials) {
      this.credentials = Objects.requireNonNull(serverCredentials, "serverCredentials");
      return this;
    }

    /** Runs {@code interceptor} on every call, the health service's included (say, {@link BearerToken#required}). */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /**
     * Runs a Spoke {@code interceptor} on every call to the Spoke services this server serves (the same
     * interceptor a host or a plugin installs for the hub), after gRPC's interceptors and before those a
     * service was bound with; the last given sees each call first. The registry itself is not changed:
     * a host's services served over the hub do not see them.
     */
    public Builder intercept(dev.spoke.ServerInterceptor interceptor) {
      spokeInterceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /** The largest message a call may receive, in bytes. Default {@value #DEFAULT_MAX_MESSAGE_SIZE}. */
    public Builder maxMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageSize must be positive, got " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /** The default executor of the services; default: gRPC-java's. */
    public Builder executor(Executor serviceExecutor) {
      this.executor = Objects.requireNonNull(serviceExecutor, "serviceExecutor");
      return this;
    }

    /**
     * Runs every service on gRPC's transport threads, as gRPC-java's {@code directExecutor()}: the
     * fastest, for handlers that never block.
     */
    public Builder directExecutor() {
      this.direct = true;
      return this;
    }

    /**
     * Answers gRPC's server reflection ({@code grpc.reflection.v1}) with the protobuf descriptors of the
     * services, so that grpcurl and the like need no {@code .proto} files. It tells what the server serves
     * to whoever can call it: off loopback, only with TLS and a token.
     */
    public Builder reflection() {
      this.reflection = true;
      return this;
    }

    /** The health service says {@code NOT_SERVING} until {@link GrpcServer#setServing}. */
    public Builder notServingAtStart() {
      this.servingAtStart = false;
      return this;
    }

    /**
     * Binds the address and starts serving.
     *
     * @throws IOException if the address cannot be bound (in use, say)
     */
    public GrpcServer start() throws IOException {
      HealthStatusManager health = new HealthStatusManager();
      RegistryHandlers handlers = new RegistryHandlers(registry, spokeInterceptors);
      NettyServerBuilder b = NettyServerBuilder.forAddress(address, credentials)
          .maxInboundMessageSize(maxMessageSize)
          .maxInboundMetadataSize(MAX_METADATA_SIZE)
          .permitKeepAliveTime(10, TimeUnit.SECONDS) // hosts ping their remote plugins (GrpcConnector)
          .fallbackHandlerRegistry(handlers)
          .callExecutor(handlers)
          .addService(health.getHealthService());
      grpcServices.forEach(b::addService);
      if (reflection) {
        b.addService(ProtoReflectionServiceV1.newInstance());
      }
      interceptors.forEach(b::intercept);
      if (direct) {
        b.directExecutor();
      } else if (executor != null) {
        b.executor(executor);
      }
      Server server;
      try {
        server = b.build().start();
      } catch (IOException e) {
        throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
      }
      GrpcServer s = new GrpcServer(server, registry, health);
      s.setServing(servingAtStart);
      log.debug("gRPC server listening on {}", s.address);
      return s;
    }
  }
}
