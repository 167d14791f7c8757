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
 * pinned to one CPU went from a p50 of 120–166 µs to 27–38 µs (docs/BENCHMARKS.md). Where it may
 * use more but its threads get one only, the spinning waits notice and back off.
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

  @Test
  void aJvmOfTwoProcessorsWhoseThreadsShareOneStopsSpinning() throws Exception {
    // The JVM believes it has two processors, but its threads may run on one only: the other is taken,
    // as by another process. The waits that spin hold the processor from the threads they wait for, and
    // must notice it (their work comes only after they lose the processor), and back off.
    Path hubs = Files.createTempDirectory(dir, "hubs");
    try (ChildJvm child = ChildJvm.startWith(List.of("-XX:ActiveProcessorCount=2"), Child.class,
        hubs.toString(), PINNED, IdleStrategy.BALANCED.name())) {
      assertEquals("AVAILABLE 2 SPINS true LOOP BALANCED WINDOW OPEN CALLS 2000 BACKED OFF true",
          child.awaitLine("AVAILABLE", 120, TimeUnit.SECONDS));
    }
  }

  /** The child's first argument after the directory that pins its threads to one processor. */
  private static final String PINNED = "pinned";

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
   * Given {@value #PINNED} first, it pins its threads to one processor, makes 2,000 calls with the one
   * strategy that follows, and tells whether the spinning waits backed off.
   */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      if (args[1].equals(PINNED)) {
        pinToOneProcessor(); // before any of Spoke's threads starts: they inherit it
        System.out.println(report(Path.of(args[0]), IdleStrategy.valueOf(args[2]), 2000) + " BACKED OFF "
            + (Processors.BACK_OFF.backOffs() > 0));
        return;
      }
      for (int i = 1; i < args.length; i++) {
        System.out.println(report(Path.of(args[0]), IdleStrategy.valueOf(args[i]), 200));
      }
    }

    /** Limits this thread, and the threads it starts from now on, to the first processor it may use. */
    private static void pinToOneProcessor() {
      Affinity libc = com.sun.jna.Native.load("c", Affinity.class);
      long[] allowed = new long[16];
      if (libc.sched_getaffinity(0, allowed.length * 8L, allowed) != 0) {
        throw new IllegalStateException("sched_getaffinity failed");
      }
      long[] one = new long[16];
      for (int i = 0; i < allowed.length; i++) {
        if (allowed[i] != 0) {
          one[i] = Long.lowestOneBit(allowed[i]);
          break;
        }
      }
      if (libc.sched_setaffinity(0, one.length * 8L, one) != 0) {
        throw new IllegalStateException("sched_setaffinity failed");
      }
    }

    /** The C library's calls for a thread's processors. */
    interface Affinity extends com.sun.jna.Library {
      int sched_setaffinity(int pid, long cpusetsize, long[] mask);

      int sched_getaffinity(int pid, long cpusetsize, long[] mask);
    }

    private static String report(Path dir, IdleStrategy strategy, int calls) throws Exception {
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
          for (int i = 0; i < calls; i++) {
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
