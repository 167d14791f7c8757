package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import dev.spoke.CallOptions;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.InlineExecutor;
import dev.spoke.internal.Processors;
import dev.spoke.internal.WorkerPool;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.ChildJvm;
import dev.spoke.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the JVM may use one processor only, nothing of Spoke's spins while it waits for another thread:
 * the thread it waits for needs that processor. On this rule a blocking 16 B call between two processes
 * pinned to one CPU went from a p50 of 120–166 µs to 27–38 µs (docs/BENCHMARKS.md).
 */
class OneProcessorTest {

  @TempDir
  Path dir;

  @Test
  void onOneProcessorEveryStrategyBecomesLowCpuAndOnMoreItIsKept() {
    for (IdleStrategy s : IdleStrategy.values()) {
      assertEquals(IdleStrategy.LOW_CPU, s.forProcessors(1), s + " on one processor");
      assertEquals(s, s.forProcessors(2), s + " on two");
      assertEquals(s, s.forProcessors(64), s + " on 64");
    }
  }

  @Test
  void aJvmLimitedToOneProcessorParksItsHubLoopAsSoonAsItIsIdle() throws Exception {
    assertEquals(List.of("AVAILABLE 1 SPINS false LOOP LOW_CPU WINDOW SHUT CALLS 200",
        "AVAILABLE 1 SPINS false LOOP LOW_CPU WINDOW SHUT CALLS 200"), reportsOf(1));
  }

  @Test
  void aJvmWithTwoProcessorsKeepsTheStrategyItWasGiven() throws Exception {
    assertEquals(List.of("AVAILABLE 2 SPINS true LOOP BALANCED WINDOW OPEN CALLS 200",
        "AVAILABLE 2 SPINS true LOOP BUSY_SPIN WINDOW OPEN CALLS 200"), reportsOf(2));
  }

  /**
   * What a child JVM told to use {@code processors} reports of itself and of two hubs' receive loops,
   * one configured BALANCED and one BUSY_SPIN.
   */
  private List<String> reportsOf(int processors) throws Exception {
    Path hubs = Files.createTempDirectory(dir, "hubs");
    try (ChildJvm child = ChildJvm.startWith(List.of("-XX:ActiveProcessorCount=" + processors), Child.class,
        hubs.toString(), IdleStrategy.BALANCED.name(), IdleStrategy.BUSY_SPIN.name())) {
      return List.of(child.awaitLine("AVAILABLE", 60, TimeUnit.SECONDS), child.awaitLine("AVAILABLE", 60, TimeUnit.SECONDS));
    }
  }

  /**
   * For each strategy given, opens a hub with it and reports what this JVM and the hub's loop make of
   * it, and how many of 200 blocking calls between the hub and a peer attached to it came back right.
   */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      for (int i = 1; i < args.length; i++) {
        System.out.println(report(Path.of(args[0]), IdleStrategy.valueOf(args[i])));
      }
    }

    private static String report(Path dir, IdleStrategy strategy) throws Exception {
      HubConfig config = HubConfig.builder().directory(dir).maxPeers(1).idleStrategy(strategy).build();
      WorkerPool pool = WorkerPool.builder("one-processor").build();
      try (HubHost hub = HubHost.create(config)) {
        String loop = "AVAILABLE " + Processors.AVAILABLE + " SPINS " + Processors.SPINNING_HELPS + " LOOP "
            + hub.idleStrategyInEffect() + " WINDOW " + (hub.spinWindowNanos() > 0 ? "OPEN" : "SHUT");
        HubHost.Reservation r = hub.reservePeer("one", true);
        try (HubPeer peer = HubPeer.attach(hub.path(), r.peerId(), r.token(), "one", config)) {
          Connection server = Connection.builder(peer.transport())
              .registry(new ServiceRegistry().addService(new TestService().definition()))
              .executor(new InlineExecutor(pool)).localName("one-server").build().start();
          Connection client = Connection.builder(r.transport()).executor(new InlineExecutor(pool))
              .localName("one-client").build().start();
          int right = 0;
          for (int i = 0; i < 200; i++) {
            ByteString payload = ByteString.copyFromUtf8("call " + i);
            TestResponse got = ClientCalls.blockingUnaryCall(client.channel(), TestService.UNARY,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                TestRequest.newBuilder().setId(i).setPayload(payload).build());
            right += got.getPayload().equals(payload) ? 1 : 0;
          }
          client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
          server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
          return loop + " CALLS " + right;
        }
      } finally {
        pool.shutdown();
      }
    }
  }
}
