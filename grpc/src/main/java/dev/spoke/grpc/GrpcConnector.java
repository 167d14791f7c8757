package dev.spoke.grpc;

import dev.spoke.grpc.internal.GrpcPluginLink;
import dev.spoke.host.RemoteConnector;
import dev.spoke.host.RemoteLink;
import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How a host reaches its remote plugins over gRPC: give it to {@code PluginSpec.remote(name,
 * target).connector(...)}. Without one, the host uses {@code new GrpcConnector()} (found on the class
 * path): plaintext, for loopback and trusted networks.
 *
 * <pre>{@code
 * Plugin images = host.launch(PluginSpec.remote("images", "images.internal:7443")
 *     .connector(GrpcConnector.builder()
 *         .credentials(TlsChannelCredentials.newBuilder()
 *             .trustManager(caFile)                       // whom to trust
 *             .keyManager(hostCertFile, hostKeyFile)      // mutual TLS: who the host is
 *             .build())
 *         .callCredentials(BearerToken.credentials(token))
 *         .build())
 *     .build());
 * }</pre>
 *
 * <p>Each remote plugin gets a gRPC channel of its own (Netty), which connects, reconnects with gRPC's
 * back-off when the connection goes, and watches the plugin with the standard health service ({@code
 * grpc.health.v1.Health/Watch}): the plugin's handle is {@code READY} while the plugin is reachable and
 * serving, {@code UNAVAILABLE} otherwise. Messages may be up to {@link Builder#maxMessageSize}; headers up
 * to Spoke's own limit. Keep-alive pings (every {@value #KEEP_ALIVE_SECONDS} s while calls are open, by
 * default) notice a plugin whose machine went away without closing the connection.
 *
 * <p>Immutable and thread-safe.
 */
public final class GrpcConnector implements RemoteConnector {

  /** The default interval of keep-alive pings while calls are open. */
  public static final long KEEP_ALIVE_SECONDS = 30;

  private final ChannelCredentials credentials;
  private final List<ClientInterceptor> interceptors;
  private final int maxMessageSize;
  private final Duration keepAlive;
  private final Duration keepAliveTimeout;

  /** Plaintext gRPC with the defaults: for loopback and trusted networks. */
  public GrpcConnector() {
    this(builder());
  }

  private GrpcConnector(Builder b) {
    this.credentials = b.callCredentials == null ? b.credentials
        : CompositeChannelCredentials.create(b.credentials, b.callCredentials);
    this.interceptors = List.copyOf(b.interceptors);
    this.maxMessageSize = b.maxMessageSize;
    this.keepAlive = b.keepAlive;
    this.keepAliveTimeout = b.keepAliveTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public RemoteLink connect(String pluginName, String target, RemoteLink.Events events) {
    ManagedChannel channel = NettyChannelBuilder.forTarget(target, credentials)
        .maxInboundMessageSize(maxMessageSize)
        .maxInboundMetadataSize(GrpcServer.MAX_METADATA_SIZE)
        .keepAliveTime(keepAlive.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(keepAliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .intercept(interceptors)
        .build();
    return GrpcPluginLink.open(pluginName, target, channel, events);
  }

  @Override
  public String toString() {
    return "GrpcConnector{" + credentials.getClass().getSimpleName() + ", max message " + maxMessageSize + "}";
  }

  /** Configures a {@link GrpcConnector}. Not thread-safe. */
  public static final class Builder {
    private ChannelCredentials credentials = InsecureChannelCredentials.create();
    private CallCredentials callCredentials;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();
    private int maxMessageSize = GrpcServer.DEFAULT_MAX_MESSAGE_SIZE;
    private Duration keepAlive = Duration.ofSeconds(KEEP_ALIVE_SECONDS);
    private Duration keepAliveTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * How connections are secured, the gRPC-java way: {@code TlsChannelCredentials} (with a key manager
     * for mutual TLS). Default: plaintext.
     */
    public Builder credentials(ChannelCredentials channelCredentials) {
      this.credentials = Objects.requireNonNull(channelCredentials, "channelCredentials");
      return this;
    }

    /** What every call carries, such as {@link BearerToken#credentials}. */
    public Builder callCredentials(CallCredentials perCall) {
      this.callCredentials = Objects.requireNonNull(perCall, "perCall");
      return this;
    }

    /** Runs {@code interceptor} on every call to the plugin. */
    public Builder intercept(ClientInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /** The largest message a call may receive, in bytes. Default {@value GrpcServer#DEFAULT_MAX_MESSAGE_SIZE}. */
    public Builder maxMessageSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxMessageSize must be positive, got " + bytes);
      }
      this.maxMessageSize = bytes;
      return this;
    }

    /**
     * Keep-alive pings every {@code interval} while calls are open, the connection given up when one is
     * not answered within {@code timeout}. The server must permit pings that often ({@link GrpcServer}
     * permits one every 10 s).
     */
    public Builder keepAlive(Duration interval, Duration timeout) {
      this.keepAlive = Objects.requireNonNull(interval, "interval");
      this.keepAliveTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public GrpcConnector build() {
      return new GrpcConnector(this);
    }
  }
}
