package dev.spoke.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.grpc.GrpcChannel;
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.HubConfig;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.netty.channel.EventLoopGroup;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the harness works, in a few seconds, without measuring anything worth reading: each kind of
 * measurement runs briefly over the real transports (a plugin launched by SpokeHost, gRPC over a Unix
 * socket, gRPC-java and Spoke over gRPC on loopback TCP), a suite runs in a child JVM and its results come
 * back, and the report and chart render.
 */
class BenchSmokeTest {

  @TempDir
  Path dir;

  @Test
  void everyPartOfTheHarnessRunsAndReports() throws Exception {
    List<Result> results = new ArrayList<>();
    Measure m = new Measure(Mode.SMOKE);

    Path hubs = dir.resolve("hubs");
    try (SpokeHost host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(hubs).build()).build()) {
      Plugin plugin = host.launch(PluginSpec.java("smoke", BenchPlugin.class).jvmArgs("-Xmx128m").args("direct").build());
      EchoClient spoke = EchoClient.spoke(plugin.channel(), true);
      m.warmUp(spoke);
      results.add(m.latency(Series.SPOKE_DIRECT.key, spoke, 16));
      results.add(m.latency(Series.SPOKE_DIRECT.key, spoke, 1 << 20));
      results.add(m.throughput(Series.SPOKE_DIRECT.key, spoke, 16, 8));
      results.add(m.stream(Series.SPOKE_DIRECT.key, spoke));
      results.add(m.bursty(Series.SPOKE_DIRECT.key, spoke, 100));
      assertTrue(host.snapshot().poolFullyFree(), "slots left in use: " + host.snapshot());
    }

    SocketAddress address = GrpcTransports.bindAddress("uds", dir.resolve("echo.sock").toString());
    EventLoopGroup loops = GrpcTransports.eventLoops(1);
    Server server = GrpcTransports.startServer("uds", address, true, false, loops, loops);
    ManagedChannel channel = GrpcTransports.channel(GrpcTransports.describe(server, "uds", address), true, loops);
    try {
      results.add(m.latency(Series.GRPC_UDS_DIRECT.key, EchoClient.grpc(channel), 16));
    } finally {
      GrpcTransports.shutdown(channel);
      server.shutdownNow();
      loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    for (Series s : List.of(Series.GRPC_TCP_DIRECT, Series.BRIDGE_TCP_DIRECT)) {
      SocketAddress tcp = GrpcTransports.bindAddress("tcp", null);
      EventLoopGroup group = GrpcTransports.eventLoops(1);
      Server tcpServer = GrpcTransports.startServer("tcp", tcp, true, s.isBridge(), group, group);
      ManagedChannel tcpChannel = GrpcTransports.channel(GrpcTransports.describe(tcpServer, "tcp", tcp), true, group);
      try {
        EchoClient client = s.isBridge() ? EchoClient.spoke(GrpcChannel.of(tcpChannel), true) : EchoClient.grpc(tcpChannel);
        results.add(m.latency(s.key, client, 16));
        results.add(m.throughput(s.key, client, 16, 64));
      } finally {
        GrpcTransports.shutdown(tcpChannel);
        tcpServer.shutdownNow();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
      }
    }

    List<Result> floor = Child.run("floor", FloorSuite.class, List.of("--mode=smoke"), 60);
    assertTrue(floor.stream().noneMatch(r -> r.metric().equals("failure")), "the floor suite failed: " + floor);
    results.addAll(floor);

    for (Result r : results) {
      assertTrue(!r.has("n") || r.num("n") > 0, "no samples: " + r);
      assertEquals(r.fields(), Result.decode(r.encode()).fields(), "a result survives its trip through a pipe");
    }
    Results all = new Results().addAll(results);
    String summary = new Report(all).summary();
    assertTrue(summary.contains("| 16 B "), summary);
    assertTrue(all.latency(Series.SPOKE_DIRECT, 16).isPresent() && all.spin().isPresent(), summary);
    assertTrue(all.bursty(Series.SPOKE_DIRECT, 100).isPresent() && summary.contains("| 100 µs "), summary);
    assertTrue(new Report(all).details().contains("Spoke direct"));
    assertTrue(all.latency(Series.BRIDGE_TCP_DIRECT, 16).isPresent() && summary.contains("Spoke over gRPC TCP direct"), summary);
    Report.Target bridge = new Report(all).targets().stream().filter(t -> t.goal.startsWith("Spoke over gRPC"))
        .findFirst().orElseThrow();
    assertTrue(bridge.standing != Report.Standing.NO_DATA && bridge.measured.contains("p50 "), bridge.measured);
    String svg = new Chart(all).svg("smoke");
    assertTrue(svg.startsWith("<svg") && svg.contains("<polyline"), svg);
  }

  @Test
  void payloadsHaveExactlyTheirNamedSize() {
    for (int size : Payloads.UNARY_SIZES) {
      assertEquals(size, Payloads.ofSize(size).getSerializedSize());
    }
    assertEquals(Payloads.STREAM_SIZE, Payloads.ofSize(Payloads.STREAM_SIZE, Payloads.STREAM_MESSAGES).getSerializedSize());
    assertEquals("16 MiB", Payloads.label(16 << 20));
    assertEquals("1,230,000", Format.count(1_234_567));
    assertEquals("0.0180 (1/55.6)", Format.ratio(0.018, 1));
  }
}
