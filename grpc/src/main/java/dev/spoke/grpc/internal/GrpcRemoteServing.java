package dev.spoke.grpc.internal;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.grpc.BearerToken;
import dev.spoke.grpc.GrpcChannel;
import dev.spoke.grpc.GrpcServer;
import dev.spoke.peer.PeerArguments;
import dev.spoke.peer.RemoteEndpoint;
import dev.spoke.peer.RemoteServing;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A remote plugin over gRPC, as {@code --listen} asks (found by {@link dev.spoke.peer.SpokePeer} with
 * {@link java.util.ServiceLoader}): a {@link GrpcServer} on the given address serving the plugin's
 * registry, started (bound) once the plugin is ready, so that no call arrives before its services are
 * bound; and a channel to the host's services at {@code --host-target}. TLS from the arguments' PEM files: the certificate and key serve and, for
 * the host, identify the plugin as a client; the trusted certificates make it mutual both ways. The
 * remote token is required of callers and sent to the host.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcRemoteServing implements RemoteServing {

  @Override
  public RemoteEndpoint start(PeerArguments arguments, ServiceRegistry services, Executor executor) throws IOException {
    GrpcServer.Builder server = GrpcServer.builder(arguments.listen())
        .registry(services)
        .executor(executor)
        .credentials(serverCredentials(arguments));
    if (arguments.remoteToken() != null) {
      server.intercept(BearerToken.required(arguments.remoteToken()));
    }
    ManagedChannel toHost = null;
    Channel hostChannel;
    if (arguments.hostTarget() != null) {
      toHost = NettyChannelBuilder.forTarget(arguments.hostTarget(), channelCredentials(arguments))
          .maxInboundMessageSize(GrpcServer.DEFAULT_MAX_MESSAGE_SIZE)
          .maxInboundMetadataSize(2 * Metadata.MAX_ENCODED_BYTES)
          .build();
      hostChannel = GrpcChannel.of(toHost, "the host at " + arguments.hostTarget());
    } else {
      hostChannel = new NoHost(arguments.pluginName());
    }
    return new Endpoint(arguments.listen(), server, toHost, hostChannel);
  }

  private static ServerCredentials serverCredentials(PeerArguments a) throws IOException {
    if (a.tlsCertificate() == null) {
      return InsecureServerCredentials.create();
    }
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder()
        .keyManager(a.tlsCertificate().toFile(), a.tlsKey().toFile());
    if (a.tlsTrust() != null) {
      tls.trustManager(a.tlsTrust().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return tls.build();
  }

  private static ChannelCredentials channelCredentials(PeerArguments a) throws IOException {
    ChannelCredentials c;
    if (a.tlsCertificate() == null) {
      c = InsecureChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder()
          .keyManager(a.tlsCertificate().toFile(), a.tlsKey().toFile());
      if (a.tlsTrust() != null) {
        tls.trustManager(a.tlsTrust().toFile());
      }
      c = tls.build();
    }
    return a.remoteToken() == null ? c : CompositeChannelCredentials.create(c, BearerToken.credentials(a.remoteToken()));
  }

  /** The endpoint: the server, once started, and the channel to the host. */
  private static final class Endpoint implements RemoteEndpoint {
    private final String listen;
    private final GrpcServer.Builder builder;
    private final ManagedChannel toHost;
    private final Channel hostChannel;
    private GrpcServer server; // guarded by this
    private boolean shutdown; // guarded by this

    Endpoint(String listen, GrpcServer.Builder builder, ManagedChannel toHost, Channel hostChannel) {
      this.listen = listen;
      this.builder = builder;
      this.toHost = toHost;
      this.hostChannel = hostChannel;
    }

    @Override
    public synchronized String address() {
      return server != null ? server.address() : listen;
    }

    @Override
    public Channel hostChannel() {
      return hostChannel;
    }

    @Override
    public synchronized void ready() throws IOException {
      if (shutdown) {
        throw new IOException("the plugin is stopping; it does not start listening on " + listen);
      }
      if (server == null) {
        server = builder.start();
      }
    }

    @Override
    public boolean shutdown(Duration grace) {
      GrpcServer s;
      synchronized (this) {
        shutdown = true;
        s = server;
      }
      boolean finished = s == null || s.shutdown(grace);
      if (toHost != null) {
        toHost.shutdownNow();
        try {
          toHost.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return finished;
    }
  }

  /** The host channel of a plugin started without a host target: every call fails, saying so. */
  private static final class NoHost extends Channel {
    private final String pluginName;

    NoHost(String pluginName) {
      this.pluginName = pluginName;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      Status status = Status.UNAVAILABLE.withDescription("plugin '" + pluginName + "' was started without --host-target,"
          + " so it cannot call its host (" + method.getFullMethodName() + ")");
      return new ClientCall<>() {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          Executor e = options.getExecutor();
          if (e != null) {
            e.execute(() -> listener.onClose(status, new Metadata()));
          } else {
            listener.onClose(status, new Metadata());
          }
        }

        @Override
        public void request(int numMessages) {}

        @Override
        public void sendMessage(ReqT message) {}

        @Override
        public void halfClose() {}

        @Override
        public void cancel(String message, Throwable cause) {}

        @Override
        public boolean isReady() {
          return false;
        }
      };
    }

    @Override
    public String authority() {
      return "no host";
    }
  }
}
