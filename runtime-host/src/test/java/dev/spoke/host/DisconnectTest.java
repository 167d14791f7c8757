package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
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
 * A plugin the host disconnects, for whatever reason, exits promptly with a status that says why, and
 * its {@link Plugin} follows its restart policy: real plugin processes, one per disconnect path.
 */
class DisconnectTest {

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

  private SpokeHost host() throws Exception {
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).addService(callbacks).build();
    return host;
  }

  @Test
  void aPluginWhoseEntryTheHostTakesBackExitsAtOnceAndIsRestarted() throws Exception {
    host();
    Plugin p = host.launch(PluginSpec.java("taken", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(2, Duration.ofMillis(50))).build());
    Payload sent = HostPluginTest.payload(1, 100, new Random(1));
    assertEquals(sent, EchoSpoke.newBlockingStub(p.channel()).unary(sent));
    long pid = p.pid();
    long start = System.nanoTime();
    host.hub().releasePeer(p.currentProcess().reservation, "was disconnected by the test");
    ProcessHandle.of(pid).orElseThrow().onExit().get(3, TimeUnit.SECONDS);
    long exitedAfterMillis = (System.nanoTime() - start) / 1_000_000;
    waitUntil("the plugin is restarted", 30, () -> p.state() == PluginState.READY && p.pid() != pid);
    assertEquals(3, p.lastExit().status(), "a disconnected plugin exits with status 3: " + p.lastExit());
    assertTrue(exitedAfterMillis < 1_000, "it took " + exitedAfterMillis + " ms to notice; its doorbell was rung");
    assertEquals(sent, EchoSpoke.newBlockingStub(p.channel()).unary(sent));
    waitUntil("every slot is free again", 10, () -> host.snapshot().poolFullyFree());
  }

  @Test
  void aStuckPluginWithRequestsUnreadInItsRingExitsWhenDisconnected() throws Exception {
    // The plugin's process is stopped, so requests pile up unread in its ring; then the host takes its
    // entry back. It must go (it cannot exit by itself while stopped: it is killed), and be restarted.
    host();
    Plugin p = host.launch(PluginSpec.java("stuck", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(2, Duration.ofMillis(50))).build());
    HostPluginTest.signal("STOP", p.pid());
    List<CompletableFuture<Payload>> unread = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      unread.add(EchoSpoke.newStub(p.channel()).unary(Payload.newBuilder().setId(100 + i).build()));
    }
    long pid = p.pid();
    long start = System.nanoTime();
    host.hub().releasePeer(p.currentProcess().reservation, "was disconnected by the test");
    for (CompletableFuture<Payload> f : unread) {
      f.handle((r, t) -> t).get(10, TimeUnit.SECONDS);
    }
    ProcessHandle.of(pid).orElseThrow().onExit().get(10, TimeUnit.SECONDS);
    long exitedAfterMillis = (System.nanoTime() - start) / 1_000_000;
    waitUntil("the plugin is restarted", 30, () -> p.state() == PluginState.READY && p.pid() != pid);
    assertNotEquals(0, p.lastExit().status());
    assertTrue(exitedAfterMillis < 6_000, "it lingered " + exitedAfterMillis + " ms after it was disconnected");
    Payload sent = HostPluginTest.payload(2, 100, new Random(2));
    assertEquals(sent, EchoSpoke.newBlockingStub(p.channel()).unary(sent));
  }

  @Test
  void aCallWithoutDeadlineToAPluginThatStoppedReadingFailsOnceItIsDeclaredHung() throws Exception {
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).hungAfter(Duration.ofSeconds(1))
        .heartbeatInterval(Duration.ofMillis(500)).build()).addService(callbacks).build();
    Plugin p = host.launch(PluginSpec.java("hung", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofMillis(50))).build());
    long pid = p.pid();
    HostPluginTest.signal("STOP", pid); // its process stops: it reads nothing more
    long start = System.nanoTime();
    // No deadline: only the hung-plugin check bounds this call.
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).unary(Payload.newBuilder().setId(2).build()));
    long failedAfterMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    String why = e.getStatus().getDescription();
    assertTrue(why.contains("'hung'") && why.contains("stopped reading its ring") && why.contains("hungAfter"), why);
    assertTrue(failedAfterMillis < 5_000, "the call waited " + failedAfterMillis + " ms");
    waitUntil("the hung plugin is replaced", 30, () -> p.state() == PluginState.READY && p.pid() != pid);
    Payload sent = HostPluginTest.payload(3, 100, new Random(3));
    assertEquals(sent, EchoSpoke.newBlockingStub(p.channel()).unary(sent));
  }

  @Test
  void aPluginThatWritesABadDescriptorIsDisconnectedExitsAndFollowsItsPolicy() throws Exception {
    host();
    Plugin p = host.launch(PluginSpec.java("bad-flags", BadFlagsPlugin.class).jvmArgs("-Xmx64m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofMillis(50))).build());
    // It misbehaves at once, every time: restarted once, then failed for good.
    waitUntil("the plugin fails for good", 30, () -> p.state() == PluginState.FAILED);
    assertEquals(1, p.restarts());
    assertEquals(3, p.lastExit().status(), "it left because the host disconnected it: " + p.lastExit());
    waitUntil("every slot is free again", 10, () -> host.snapshot().poolFullyFree());
  }
}
