package dev.spoke.bench;

import dev.spoke.grpc.GrpcChannel;
import io.grpc.ManagedChannel;
import io.netty.channel.EventLoopGroup;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * gRPC-java's side of the RPC benchmarks: this JVM is the client; it starts {@link GrpcServerMain} in a
 * JVM of its own and runs the same {@link Scenarios} Spoke runs.
 *
 * <p>Arguments: {@code --transport=tcp|uds}, {@code --executor=direct|default}, {@code --bridge=true|false},
 * and those of {@link Scenarios#run}. The series is named {@code grpc.<transport>.<executor>}; {@code
 * direct} means {@code directExecutor()} on the server and on the client channel. With {@code --bridge},
 * the series {@code bridge.<transport>.<executor>} is Spoke over gRPC: the same channel and server, with
 * Spoke's generated stubs on a {@code GrpcChannel} calling Spoke's Echo served through {@code
 * GrpcServices}.
 */
public final class GrpcSuite {

  private GrpcSuite() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    String transport = args.get("transport");
    String executor = args.get("executor");
    boolean direct = executor.equals("direct");
    boolean bridge = args.flag("bridge");
    String series = (bridge ? "bridge." : "grpc.") + transport + "." + executor;
    Path dir = Files.createTempDirectory("spoke-bench-grpc");
    String socket = dir.resolve("echo.sock").toString();
    Process server = Jvm.start(GrpcServerMain.class, Jvm.MEASURED,
        List.of("--transport=" + transport, "--executor=" + executor, "--socket=" + socket, "--bridge=" + bridge));
    EventLoopGroup group = null;
    ManagedChannel channel = null;
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String address = null;
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith("LISTENING ")) {
          address = line.substring("LISTENING ".length());
          break;
        }
        System.out.println("grpc server: " + line);
      }
      if (address == null) {
        throw new IllegalStateException("the gRPC server exited before listening (status " + server.waitFor() + ")");
      }
      Thread echo = new Thread(() -> out.lines().forEach(l -> System.out.println("grpc server: " + l)), "server-output");
      echo.setDaemon(true);
      echo.start();
      group = GrpcTransports.eventLoops(0);
      channel = GrpcTransports.channel(address, direct, group);
      EchoClient client = bridge ? EchoClient.spoke(GrpcChannel.of(channel), direct) : EchoClient.grpc(channel);
      Scenarios.run(series, client, args);
      System.out.println(series + ": done");
    } finally {
      if (channel != null) {
        GrpcTransports.shutdown(channel);
      }
      if (group != null) {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      }
      server.getOutputStream().close();
      if (!server.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        Jvm.killTree(server);
      }
      Files.deleteIfExists(Path.of(socket));
      Files.deleteIfExists(dir);
    }
    System.exit(0);
  }
}
