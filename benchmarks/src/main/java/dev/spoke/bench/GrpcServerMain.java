package dev.spoke.bench;

import io.grpc.Server;
import io.netty.channel.EventLoopGroup;
import java.io.InputStream;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The gRPC server of the benchmarks, in a JVM of its own as a plugin would be: serves Echo, prints
 * {@code LISTENING <address>}, and exits when its standard input closes (its client is done or died).
 *
 * <p>Arguments: {@code --transport=tcp|uds}, {@code --executor=direct|default}, {@code --socket=<path>},
 * {@code --bridge=true} to serve Spoke's Echo through spoke-grpc instead of gRPC-java's.
 */
public final class GrpcServerMain {

  private GrpcServerMain() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    String transport = args.get("transport");
    boolean direct = args.get("executor").equals("direct");
    String socket = args.get("socket", "");
    if (!socket.isEmpty()) {
      Files.deleteIfExists(Path.of(socket));
    }
    SocketAddress address = GrpcTransports.bindAddress(transport, socket);
    EventLoopGroup boss = GrpcTransports.eventLoops(1);
    EventLoopGroup workers = GrpcTransports.eventLoops(0);
    Server server = GrpcTransports.startServer(transport, address, direct, args.flag("bridge"), boss, workers);
    System.out.println("LISTENING " + GrpcTransports.describe(server, transport, address));
    System.out.flush();
    InputStream in = System.in;
    while (in.read() >= 0) {
      // nothing is sent: wait for the end of the stream
    }
    server.shutdownNow();
    if (!socket.isEmpty()) {
      Files.deleteIfExists(Path.of(socket));
    }
    System.exit(0);
  }
}
