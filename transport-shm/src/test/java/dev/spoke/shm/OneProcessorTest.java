package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spoke.internal.Processors;
import dev.spoke.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the JVM may use one processor only, nothing of Spoke's spins while it waits for another thread:
 * the thread it waits for needs that processor. On this rule a blocking 16 B call between two processes
 * pinned to one CPU went from a p50 of 120–166 µs to 27 µs (docs/BENCHMARKS.md).
 */
class OneProcessorTest {

  @TempDir
  Path dir;

  @Test
  void everyStrategyParksAtOnceOnOneProcessorAndIsKeptOnMore() {
    for (IdleStrategy s : IdleStrategy.values()) {
      assertEquals(IdleStrategy.LOW_CPU, s.forProcessors(1), s + " on one processor");
      assertEquals(s, s.forProcessors(2), s + " on two");
      assertEquals(s, s.forProcessors(64), s + " on 64");
    }
  }

  @Test
  void aJvmLimitedToOneProcessorRunsItsHubLoopAsLowCpu() throws Exception {
    assertEquals("AVAILABLE 1 SPINS false LOOP LOW_CPU", strategyIn(1, IdleStrategy.BALANCED));
    assertEquals("AVAILABLE 1 SPINS false LOOP LOW_CPU", strategyIn(1, IdleStrategy.BUSY_SPIN));
  }

  @Test
  void aJvmWithTwoProcessorsKeepsTheStrategyItWasGiven() throws Exception {
    assertEquals("AVAILABLE 2 SPINS true LOOP BALANCED", strategyIn(2, IdleStrategy.BALANCED));
    assertEquals("AVAILABLE 2 SPINS true LOOP BUSY_SPIN", strategyIn(2, IdleStrategy.BUSY_SPIN));
  }

  /** What a child JVM told to use {@code processors} reports of itself and its hub's receive loop. */
  private String strategyIn(int processors, IdleStrategy configured) throws Exception {
    Path hubs = Files.createTempDirectory(dir, "hubs");
    try (ChildJvm child = ChildJvm.startWith(List.of("-XX:ActiveProcessorCount=" + processors), Child.class,
        hubs.toString(), configured.name())) {
      return child.awaitLine("AVAILABLE", 60, TimeUnit.SECONDS);
    }
  }

  /** Opens a hub with the given strategy and reports what this JVM and the hub's loop make of it. */
  public static final class Child {
    private Child() {}

    public static void main(String[] args) throws Exception {
      HubConfig config = HubConfig.builder().directory(Path.of(args[0])).maxPeers(1)
          .idleStrategy(IdleStrategy.valueOf(args[1])).build();
      try (HubHost hub = HubHost.create(config)) {
        System.out.println("AVAILABLE " + Processors.AVAILABLE + " SPINS " + Processors.SPINNING_HELPS + " LOOP "
            + hub.idleStrategyInEffect());
      }
    }
  }
}
