package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import dev.spoke.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The defaults a plugin gets, stopping without blocking, and what a plugin's life looks like in the log. */
class LifecycleTest {

  @TempDir
  Path dir;

  private SpokeHost host;

  private SpokeHost host() throws Exception {
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).addService(new TestCallbacks()).build();
    return host;
  }

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
  }

  @Test
  void byDefaultACrashedPluginIsRestarted() throws Exception {
    PluginSpec spec = PluginSpec.java("phoenix", EchoPlugin.class).jvmArgs("-Xmx128m").build();
    assertEquals(RestartPolicy.onFailure(), spec.restartPolicy());
    Plugin p = host().launch(spec);
    long first = p.pid();
    ProcessHandle.of(first).orElseThrow().destroyForcibly();
    waitUntil("the plugin is back with a new process", 30, () -> p.state() == PluginState.READY && p.pid() != first);
    assertEquals(1, p.restarts());
    assertEquals(5, EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .unary(EchoPlugin.payload(5, com.google.protobuf.ByteString.EMPTY)).getId());
  }

  @Test
  void theDefaultsAreThoseDocumentedAndToStringShowsThem() {
    PluginSpec spec = PluginSpec.java("minifier", EchoPlugin.class).build();
    assertEquals(java.time.Duration.ofSeconds(30), spec.readyTimeout());
    assertEquals(java.time.Duration.ofSeconds(5), spec.shutdownGrace());
    RestartPolicy r = spec.restartPolicy();
    assertEquals(Integer.MAX_VALUE, r.maxRestarts());
    assertEquals(java.time.Duration.ofMillis(100), r.initialBackoff());
    assertEquals(java.time.Duration.ofSeconds(30), r.maxBackoff());
    assertEquals(java.time.Duration.ofMinutes(1), r.stableAfter());
    String s = spec.toString();
    for (String part : List.of("minifier", "java " + EchoPlugin.class.getName(), "class path: the host's java.class.path",
        "JVM options the defaults", "ready timeout 30 s",
        "restart on failure, without limit, back-off 100 ms to 30 s, starting over after 1 min of running",
        "shutdown grace 5 s", "working directory the host's", "environment the host's")) {
      assertTrue(s.contains(part), "no '" + part + "' in " + s);
    }
    assertEquals("never", RestartPolicy.never().toString());
  }

  @Test
  void hostShutdownReturnsAtOnceAndAwaitTerminationWaitsForTheStop() throws Exception {
    Plugin a = host().launch(PluginSpec.java("a", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    Plugin b = host.launch(PluginSpec.java("b", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    Path hub = host.hubPath();
    // A call that needs a second and a half: the stop lets it finish within the grace period.
    CompletableFuture<Payload> slow = EchoSpoke.newStub(a.channel())
        .unary(EchoPlugin.payload(1, com.google.protobuf.ByteString.EMPTY).toBuilder().setSleepMillis(1500).build());
    // Frames are taken in order: once a later call is answered, the slow one is running.
    EchoSpoke.newBlockingStub(a.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).whoami(Payload.getDefaultInstance());
    long start = System.nanoTime();
    host.shutdown();
    long took = System.nanoTime() - start;
    assertTrue(took < TimeUnit.MILLISECONDS.toNanos(300), "shutdown() took " + took / 1e6 + " ms");
    assertFalse(host.awaitTermination(100, TimeUnit.MILLISECONDS), "terminated while a call still ran");
    assertFalse(host.isTerminated());
    assertEquals(1, slow.get(20, TimeUnit.SECONDS).getId(), "the running call finished");
    assertTrue(host.awaitTermination(30, TimeUnit.SECONDS));
    assertTrue(host.isTerminated());
    assertEquals(PluginState.STOPPED, a.state());
    assertEquals(PluginState.STOPPED, b.state());
    assertFalse(Files.exists(hub), "the hub file is gone");
    start = System.nanoTime();
    host.close(); // already done: returns at once
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void pluginShutdownReturnsAtOnceAndAwaitTerminationWaitsForTheStop() throws Exception {
    Plugin p = host().launch(PluginSpec.java("p", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    long pid = p.pid();
    long start = System.nanoTime();
    p.shutdown();
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(300));
    assertTrue(p.awaitTermination(30, TimeUnit.SECONDS));
    assertTrue(p.isTerminated());
    assertEquals(PluginState.STOPPED, p.state());
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "its process is gone");
    assertTrue(p.lastExit().requested(), p.lastExit().toString());
    p.close(); // idempotent
  }

  /**
   * A plugin that survived a failed assertion of Spoke's code (its receive loop logs it and goes on) is
   * recorded by the host for the tests' check (PluginAssertionCheck), which fails a test whose own checks
   * passed; the plugin's own assertion errors are not Spoke's and are not recorded.
   */
  @Test
  void aFailedSpokeAssertionInAPluginIsRecordedForTheTestsCheck() throws Exception {
    assertEquals(List.of(), PluginAssertionFailures.take(), "nothing recorded before");
    host().launch(PluginSpec.java("broken", BrokenInvariantPlugin.class).jvmArgs("-Xmx64m").build());
    List<String> recorded = new java.util.ArrayList<>();
    waitUntil("the plugin's assertion error is recorded", 30, () -> recorded.addAll(PluginAssertionFailures.take()) || !recorded.isEmpty());
    assertEquals(1, recorded.size(), recorded.toString());
    assertTrue(recorded.get(0).startsWith("spoke.plugin.broken." + BrokenInvariantPlugin.class.getName()
        + ": receive loop failed; continuing\njava.lang.AssertionError: ring owned by another thread\n\tat "
        + BrokenInvariantPlugin.class.getName() + ".main("), recorded.get(0));
    assertFalse(PluginAssertionFailures.failedInSpoke("ERROR a.B - x\njava.lang.AssertionError: theirs\n\tat com.example.Index.merge(Index.java:4)"),
        "an assertion of the plugin's own code");
    assertTrue(PluginAssertionFailures.failedInSpoke("java.lang.IllegalStateException: wrapped\n\tat com.example.A.b(A.java:1)\n"
        + "Caused by: java.lang.AssertionError: ours\n\tat dev.spoke.shm.RingConsumer.deliver(RingConsumer.java:9)"),
        "a cause in Spoke's code");
  }

  /**
   * A plugin's own log lines reach the host's log once, under its logger and at its level, with no
   * second prefix; a clean start and stop log nothing at WARN or above, and nothing that reads like a
   * fault.
   */
  @Test
  void pluginLinesAreForwardedOnceAndACleanStopReadsAsNormal() throws Exception {
    Path log = dir.resolve("host.log");
    Path hubs = Files.createDirectories(dir.resolve("hubs"));
    try (ChildJvm hostProcess = ChildJvm.start(LogHostMain.class, hubs.toString(), log.toString())) {
      hostProcess.awaitLine("DONE", 60, TimeUnit.SECONDS);
      assertEquals(0, hostProcess.waitFor(30, TimeUnit.SECONDS));
    }
    List<String> lines = Files.readAllLines(log);
    String all = String.join("\n", lines);
    String logger = "spoke.plugin.chatty." + LoggingPlugin.class.getName();
    assertEquals(List.of("INFO " + logger + " - plugin-side info"),
        lines.stream().filter(l -> l.contains("plugin-side info")).collect(Collectors.toList()), all);
    int warning = lines.indexOf("WARN " + logger + " - plugin-side warning");
    assertTrue(warning >= 0, all);
    assertEquals("java.lang.IllegalStateException: for the test", lines.get(warning + 1), all);
    assertTrue(lines.get(warning + 2).startsWith("\tat " + LoggingPlugin.class.getName() + ".main("), all);
    List<String> faults = lines.stream().filter(l -> l.startsWith("WARN ") || l.startsWith("ERROR "))
        .filter(l -> !l.contains("plugin-side warning")).collect(Collectors.toList());
    assertEquals(List.of(), faults, all);
    assertFalse(all.contains("disconnected"), all);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith("INFO ") && l.contains("plugin 'chatty'") && l.contains("stopped")), all);
  }
}
