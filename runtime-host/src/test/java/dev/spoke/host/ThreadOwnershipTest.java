package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.DirectExecutor;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.ChainReply;
import dev.spoke.it.ChainRequest;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which thread may do what, across real plugin processes: a handler bound to a direct executor that
 * makes a blocking call hands its process's receive loop on instead of stalling it, and blocking
 * restarts never hold up the host's timer.
 */
class ThreadOwnershipTest {

  @TempDir
  Path dir;

  private SpokeHost host;
  private final TestCallbacks callbacks = new TestCallbacks();

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
  }

  private Plugin launch(String name, String... args) {
    return host.launch(PluginSpec.java(name, EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .args(args).build());
  }

  @Test
  void reentrantChainsThroughDirectHandlersOnHostAndPluginsComplete() throws Exception {
    // Every hop is a blocking call made by a handler bound to DirectExecutor: on the host (relay,
    // running on the hub's receive loop) and on the plugins (chain, on theirs). Four chains at once,
    // ten hops deep, while a third plugin's calls keep flowing.
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build())
        .addService(callbacks, DirectExecutor.INSTANCE).build();
    Plugin a = launch("chain-a", "direct");
    Plugin b = launch("chain-b", "direct");
    callbacks.plugins.add(a);
    callbacks.plugins.add(b);
    Plugin bystander = launch("bystander");
    for (int round = 0; round < 3; round++) {
      List<CompletableFuture<ChainReply>> chains = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        Plugin first = c % 2 == 0 ? a : b;
        chains.add(EchoSpoke.newStub(first.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .chain(ChainRequest.newBuilder().setDepth(10).addPath("host").build()));
      }
      Random rnd = new Random(round);
      for (int i = 0; i < 20; i++) {
        Payload sent = HostPluginTest.payload(i, 100, rnd);
        assertEquals(sent, EchoSpoke.newBlockingStub(bystander.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(sent));
      }
      for (int c = 0; c < 4; c++) {
        ChainReply reply = chains.get(c).get(60, TimeUnit.SECONDS);
        assertEquals(12, reply.getPathCount(), "the host and eleven hops: " + reply.getPathList());
      }
    }
    waitUntil("every slot is free again", 10, () -> host.snapshot().poolFullyFree());
  }

  @Test
  void aHostHandlerOnTheReceiveLoopCallsAnotherPluginBlockingAndNobodyStalls() throws Exception {
    // The host's relay, bound to DirectExecutor, runs on the hub's one receive loop and calls plugin B
    // blocking while plugin A waits for it: the loop must go on serving B (and everyone else).
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build())
        .addService(callbacks, DirectExecutor.INSTANCE).build();
    Plugin a = launch("relay-a");
    Plugin b = launch("relay-b");
    callbacks.plugins.add(a);
    callbacks.plugins.add(b);
    for (int i = 0; i < 50; i++) {
      ChainReply reply = EchoSpoke.newBlockingStub(a.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
          .chain(ChainRequest.newBuilder().setDepth(1).addPath("host").build());
      assertEquals(List.of("host", "relay-a", "relay-b"), reply.getPathList());
    }
  }

  @Test
  void aWaitForReadyDeadlineFiresOnTimeWhileAnotherPluginsRestartBlocks() throws Exception {
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).addService(callbacks).build();
    Path hang = dir.resolve("hang-on-restart");
    Plugin slow = host.launch(PluginSpec.java("slow", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .environment("ECHO_HANG_IF_EXISTS", hang.toString())
        .readyTimeout(Duration.ofSeconds(6))
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofMillis(10))).build());
    Plugin waiting = host.launch(PluginSpec.java("waiting", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofSeconds(30))).build());
    // 'waiting' goes down and comes back only in 30 s: a wait-for-ready call to it waits its deadline.
    long waitingPid = waiting.pid();
    ProcessHandle.of(waitingPid).orElseThrow().destroyForcibly();
    waitUntil("'waiting' is restarting", 10, () -> waiting.state() == PluginState.RESTARTING);
    // 'slow' crashes and its restart blocks for its whole ready timeout.
    Files.createFile(hang);
    long slowPid = slow.pid();
    ProcessHandle.of(slowPid).orElseThrow().destroyForcibly();
    waitUntil("'slow' is being launched again", 10,
        () -> ProcessHandle.current().descendants().anyMatch(p -> p.pid() != slowPid && p.pid() != waitingPid
            && p.info().arguments().map(args -> List.of(args).contains("--plugin-name=slow")).orElse(false)));
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () ->
          EchoSpoke.newBlockingStub(waiting.channel()).withWaitForReady().withDeadlineAfter(300, TimeUnit.MILLISECONDS)
              .unary(Payload.newBuilder().setId(1).build()));
      long tookMillis = (System.nanoTime() - start) / 1_000_000;
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(tookMillis < 1_500, "a 300 ms deadline fired after " + tookMillis + " ms while a restart blocked");
    }
    assertEquals(PluginState.RESTARTING, slow.state(), "the slow restart was still blocking meanwhile");
  }
}
