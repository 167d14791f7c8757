package dev.spoke.bench;

import dev.spoke.grpc.GrpcServices;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * gRPC-java over Netty's native epoll transport, on loopback TCP or a Unix domain socket, with gRPC's
 * default executors or {@code directExecutor()}. Everything else is gRPC's default, except the message
 * size limit, raised so that 16 MiB messages pass. The server serves gRPC-java's Echo, or Spoke's through
 * spoke-grpc (the bridge): the same server either way.
 */
final class GrpcTransports {

  static final int MAX_MESSAGE = 64 << 20;

  private GrpcTransports() {}

  static void requireEpoll() {
    if (!Epoll.isAvailable()) {
      throw new IllegalStateException("Netty's native epoll transport is unavailable: " + Epoll.unavailabilityCause());
    }
  }

  /** {@code tcp} → 127.0.0.1 on a free port; {@code uds} → a socket file at {@code socketPath}. */
  static SocketAddress bindAddress(String transport, String socketPath) {
    switch (transport) {
      case "tcp":
        return new InetSocketAddress("127.0.0.1", 0);
      case "uds":
        return new DomainSocketAddress(socketPath);
      default:
        throw new IllegalArgumentException("unknown gRPC transport '" + transport + "': use tcp or uds");
    }
  }

  static Server startServer(String transport, SocketAddress address, boolean direct, boolean bridge,
      EventLoopGroup boss, EventLoopGroup workers) throws IOException {
    requireEpoll();
    NettyServerBuilder b = NettyServerBuilder.forAddress(address)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .channelType(transport.equals("uds") ? EpollServerDomainSocketChannel.class : EpollServerSocketChannel.class)
        .maxInboundMessageSize(MAX_MESSAGE)
        .addService(bridge ? GrpcServices.toGrpc(new EchoServices.Spoke()) : new EchoServices.Grpc().bindService());
    if (direct) {
      b.directExecutor();
    }
    return b.build().start();
  }

  /** {@code address}: {@code tcp:<port>} or {@code uds:<path>}, as the server prints it. */
  static ManagedChannel channel(String address, boolean direct, EventLoopGroup group) {
    requireEpoll();
    NettyChannelBuilder b;
    if (address.startsWith("uds:")) {
      b = NettyChannelBuilder.forAddress(new DomainSocketAddress(address.substring(4)))
          .channelType(EpollDomainSocketChannel.class);
    } else if (address.startsWith("tcp:")) {
      b = NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", Integer.parseInt(address.substring(4))))
          .channelType(EpollSocketChannel.class);
    } else {
      throw new IllegalArgumentException("not a server address: " + address);
    }
    b.eventLoopGroup(group).usePlaintext().maxInboundMessageSize(MAX_MESSAGE);
    if (direct) {
      b.directExecutor();
    }
    return b.build();
  }

  static EventLoopGroup eventLoops(int threads) {
    return new EpollEventLoopGroup(threads);
  }

  static String describe(Server server, String transport, SocketAddress bound) {
    return transport.equals("tcp")
        ? "tcp:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort()
        : "uds:" + ((DomainSocketAddress) bound).path();
  }

  static void shutdown(ManagedChannel channel) throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
