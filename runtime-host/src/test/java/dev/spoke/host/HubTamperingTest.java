package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.peer.SpokePeer;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubFile;
import dev.spoke.testing.ChildJvm;
import dev.spoke.testing.Figures;
import dev.spoke.testing.HubVandal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another process of the user tampers with a live hub — garbage over its header, its file truncated or
 * replaced — while a plugin serves a steady stream of calls, each response checked byte for byte. The
 * tampering is done by a child process that knows only the documented layout ({@link HubVandal}).
 * Heartbeat interval 500 ms, so the host's checks come quickly. The figures of a run are written to
 * {@code target/tampering-figures.md}; docs/RELIABILITY.md records them.
 */
class HubTamperingTest {

  static final Figures FIGURES = new Figures();
  static final Duration INTERVAL = Duration.ofMillis(500);
  /** How long a plugin looks past garbage in the hub state: two intervals and a second. */
  static final long UNTRUSTED_AFTER_MILLIS = 2 * INTERVAL.toMillis() + 1000;

  @TempDir
  Path dir;

  private SpokeHost host;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterAll
  static void writeFigures() throws IOException {
    FIGURES.writeTo(Paths.get("target", "tampering-figures.md"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (host != null) {
      host.close();
    }
    for (AutoCloseable c : cleanup) {
      c.close();
    }
  }

  private SpokeHost host(boolean sealed) throws IOException {
    host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(dir).heartbeatInterval(INTERVAL).sealedMemory(sealed).build())
        .addService(new TestCallbacks())
        .build();
    return host;
  }

  private Plugin launch(String name) {
    return host.launch(PluginSpec.java(name, EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.never()).build());
  }

  private ChildJvm vandal(String... args) throws IOException {
    ChildJvm c = ChildJvm.start(HubVandal.class, args);
    cleanup.add(c);
    return c;
  }

  /** Byte-checked echo calls to a plugin, without pause, on a thread of their own, until stopped. */
  private static final class SteadyCalls implements AutoCloseable {
    final AtomicLong answered = new AtomicLong();
    final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;

    SteadyCalls(Plugin plugin) {
      thread = new Thread(() -> {
        Random rnd = new Random(11);
        for (long i = 0; !stop.get(); i++) {
          Payload sent = HostPluginTest.payload(i, rnd.nextInt(8) == 0 ? 100_000 : rnd.nextInt(3000), rnd);
          try {
            Payload got = EchoSpoke.newBlockingStub(plugin.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(sent);
            if (got.equals(sent)) {
              answered.incrementAndGet();
            } else {
              failures.add("call " + i + " came back damaged");
            }
          } catch (Throwable t) {
            failures.add("call " + i + ": " + t);
          }
        }
      }, "steady-calls");
      thread.start();
    }

    /** Waits until {@code n} more calls were answered. */
    void awaitMore(long n) throws InterruptedException {
      long target = answered.get() + n;
      waitUntil(n + " more calls answered (failures: " + failures + ")", 30, () -> answered.get() >= target);
    }

    @Override
    public void close() throws InterruptedException {
      stop.set(true);
      thread.join(15_000);
    }
  }

  /** True once the header the host wrote is whole again: a plugin would open it, and it says READY. */
  private boolean headerWhole() {
    try {
      HubFile.openReadOnly(host.hubPath());
    } catch (IOException e) {
      return false;
    }
    return host.snapshot().hubState.equals("READY");
  }

  // ---------------------------------------------------------------------------------------------
  // The header

  @Test
  void garbageOverTheHeaderIsRepairedAndNoPluginLeaves() throws Exception {
    host(true);
    Plugin steady = launch("steady");
    long pid = steady.pid();
    try (SteadyCalls calls = new SteadyCalls(steady)) {
      calls.awaitMore(50);
      String garbled = vandal("garble-header", host.hubPath().toString(), "20261203").awaitLine("DONE", 30, TimeUnit.SECONDS);
      assertFalse(garbled.endsWith("0x1") || garbled.endsWith("0x2"), "the garbage must not read READY or CLOSING: " + garbled);
      FIGURES.count("headers overwritten with random bytes by another process", 1);
      waitUntil("the host repairs its header", 10, this::headerWhole);
      FIGURES.count("headers repaired by the host", 1);
      // Past the time a plugin looks past garbage: it stayed, and served every call.
      Thread.sleep(UNTRUSTED_AFTER_MILLIS + INTERVAL.toMillis());
      calls.awaitMore(50);
      assertTrue(calls.failures.isEmpty(), () -> "calls failed: " + calls.failures);
      FIGURES.count("calls answered right while the header was overwritten and repaired", calls.answered.get());
      FIGURES.count("calls failed while the header was overwritten and repaired", calls.failures.size());
    }
    assertEquals(PluginState.READY, steady.state());
    assertEquals(pid, steady.pid(), "the plugin is the same process");
    assertNull(steady.lastExit(), "the plugin never exited");

    // A plugin launched after the repair attaches; one restarted attaches again.
    Plugin late = launch("late");
    Payload p = HostPluginTest.payload(1, 1000, new Random(1));
    assertEquals(p, EchoSpoke.newBlockingStub(late.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(p));
    steady.restart();
    assertEquals(p, EchoSpoke.newBlockingStub(steady.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(p));
    FIGURES.count("plugins launched or restarted after the repair, attached", 2);
  }

  @Test
  void aPluginThatCannotTrustTheHubSaysWhyAndExits() throws Exception {
    host(true);
    LinkedBlockingQueue<String> gone = new LinkedBlockingQueue<>();
    host.hub().onPeerGone((peer, reason) -> gone.add(reason));
    Plugin doubter = launch("doubter");
    // Garbage in the hub state faster than the host repairs it, for longer than a plugin looks past it.
    ChildJvm v = vandal("garble-state", host.hubPath().toString(), String.valueOf(UNTRUSTED_AFTER_MILLIS + 4000));
    v.awaitLine("GARBLING", 30, TimeUnit.SECONDS);
    long start = System.nanoTime();
    waitUntil("the plugin gives up on the hub", 30, () -> doubter.state() == PluginState.FAILED);
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    // Not at its first look (as it would at once on a single bad read): only after a repair could come.
    assertTrue(took >= UNTRUSTED_AFTER_MILLIS - 500, "it left after " + took + " ms: before a repair could come");
    assertEquals(SpokePeer.EXIT_HUB_UNUSABLE, doubter.lastExit().status(), doubter.lastExit().toString());
    String reason = gone.poll(10, TimeUnit.SECONDS);
    assertTrue(reason != null && reason.contains("could not trust it") && reason.contains("0x5eba57ed"),
        "the host heard why: " + reason);
    FIGURES.count("plugins that could not trust the hub, said why and exited with status 4", 1);
    v.awaitLine("DONE", 30, TimeUnit.SECONDS);
    waitUntil("the host repairs its header", 10, this::headerWhole);
    Plugin late = launch("late");
    Payload p = HostPluginTest.payload(2, 100, new Random(2));
    assertEquals(p, EchoSpoke.newBlockingStub(late.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(p));
  }

  // ---------------------------------------------------------------------------------------------
  // The file

  @Test
  void sealedMemoryCannotBeTruncatedAndItsNameComesBack() throws Exception {
    host(true);
    assertTrue(host.hub().isSealed(), "this kernel offers sealed memory");
    Path name = host.hubPath();
    Path memory = host.hub().attachPath();
    assertTrue(Files.isSymbolicLink(name) && Files.readSymbolicLink(name).equals(memory), name + " → " + memory);
    Plugin steady = launch("steady");
    long pid = steady.pid();
    try (SteadyCalls calls = new SteadyCalls(steady)) {
      calls.awaitMore(50);
      for (Path path : List.of(name, memory)) {
        String r = vandal("truncate", path.toString(), "0").awaitLine("", 30, TimeUnit.SECONDS);
        assertTrue(r.startsWith("REFUSED") && r.contains("Operation not permitted"), path + ": " + r);
        FIGURES.count("truncations of sealed memory by another process, refused by the kernel", 1);
      }
      String r = vandal("replace", name.toString()).awaitLine("DONE", 30, TimeUnit.SECONDS);
      // Not a look at the name itself: the host may have put it back already.
      assertTrue(r.startsWith("DONE replaced it with a file of 8192"), r);
      waitUntil("the host puts the hub's name back", 10,
          () -> Files.isSymbolicLink(name) && memory.equals(readLink(name)));
      FIGURES.count("hub names replaced by another process, put back by the host", 1);
      calls.awaitMore(50);
      assertTrue(calls.failures.isEmpty(), () -> "calls failed: " + calls.failures);
      FIGURES.count("calls answered right while sealed memory was attacked", calls.answered.get());
    }
    assertEquals(pid, steady.pid());
    Plugin late = launch("late");
    Payload p = HostPluginTest.payload(3, 100_000, new Random(3));
    assertEquals(p, EchoSpoke.newBlockingStub(late.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(p));
  }

  private static Path readLink(Path link) {
    try {
      return Files.readSymbolicLink(link);
    } catch (IOException e) {
      return null;
    }
  }

  @Test
  void aTruncatedPlainFileLosesTheHubClearly() throws Exception {
    loseThePlainFile("truncate", "0");
  }

  @Test
  void aReplacedPlainFileLosesTheHubClearly() throws Exception {
    loseThePlainFile("replace");
  }

  /**
   * The host runs in a child process (this one must not map a file about to be truncated), with its hub
   * in a plain file; a second child truncates or replaces it.
   */
  private void loseThePlainFile(String... attack) throws Exception {
    try (ChildJvm hostProcess = ChildJvm.start(LostHubHost.class, dir.toString())) {
      String[] hub = hostProcess.awaitLine("HUB", 60, TimeUnit.SECONDS).split(" ");
      Path file = Path.of(hub[1]);
      ProcessHandle plugin = ProcessHandle.of(Long.parseLong(hub[2])).orElseThrow();
      assertTrue(Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS), "a plain file: " + file);
      hostProcess.awaitLine("CALLING", 30, TimeUnit.SECONDS);
      String[] args = new String[attack.length + 1];
      args[0] = attack[0];
      args[1] = file.toString();
      System.arraycopy(attack, 1, args, 2, attack.length - 1);
      vandal(args).awaitLine("DONE", 30, TimeUnit.SECONDS);
      String lost = hostProcess.awaitLine("LOST", 10, TimeUnit.SECONDS);
      assertTrue(lost.contains(file.toString()) && lost.contains(attack[0].equals("truncate") ? "truncated" : "replaced"),
          lost);
      waitUntil("the plugin exits", 15, () -> !plugin.isAlive());
      Thread.sleep(INTERVAL.toMillis()); // calls go on failing meanwhile
      hostProcess.send("REPORT");
      String report = hostProcess.awaitLine("REPORT", 10, TimeUnit.SECONDS);
      assertTrue(report.contains(" raw=0 "), "a caller got a raw throwable: " + report);
      assertTrue(report.contains(" other=0 "), "a call failed otherwise than UNAVAILABLE naming the lost hub: " + report);
      // The plugin left by itself, before the host's stop: a truncated file is a hub it cannot use (its
      // receive thread faulted); a replaced one, a hub its host closed (CLOSING, and its doorbell rung).
      int exit = attack[0].equals("truncate") ? SpokePeer.EXIT_HUB_UNUSABLE : SpokePeer.EXIT_HOST_GONE;
      assertTrue(report.contains(" plugin-exit=" + exit + " "), "the plugin exited with " + exit + ": " + report);
      assertTrue(report.contains(" plugin-state=FAILED "), "the plugin failed for good: " + report);
      hostProcess.send("CLOSE");
      assertEquals("CLOSED", hostProcess.awaitLine("CLOSE", 30, TimeUnit.SECONDS));
      assertEquals(0, hostProcess.waitFor(30, TimeUnit.SECONDS), hostProcess.stderr());
      assertFalse(Files.exists(file, LinkOption.NOFOLLOW_LINKS), "what was at the hub's name is removed");
      // No thread of the host died of the lost memory (the inspection region's writer included); lines
      // the plugin printed, which the host forwards under "[plugin <name>]", are the plugin's business.
      assertFalse(hostProcess.stderr().lines().anyMatch(l -> l.contains("Exception in thread") && !l.startsWith("[plugin ")),
          hostProcess.stderr());
      long logged = hostProcess.stderrBytes();
      assertTrue(logged < 64 * 1024, "the host logged " + logged + " bytes:\n" + hostProcess.stderr());
      String kind = attack[0].equals("truncate") ? "truncated" : "replaced";
      FIGURES.count("plain hub files " + kind + " by another process, the hub declared lost", 1);
      FIGURES.count("calls failed UNAVAILABLE naming the lost hub (" + kind + ")", count(report, "lost"));
      FIGURES.count("raw errors (InternalError) seen by callers (" + kind + ")", count(report, "raw"));
      FIGURES.count("late faults the JVM raised in the callers' own code, outside the runtime (" + kind + ")",
          count(report, "raw-outside"));
      FIGURES.count("bytes the host logged, in all (" + kind + ")", logged);
    }
  }

  private static long count(String report, String key) {
    for (String w : report.split(" ")) {
      if (w.startsWith(key + "=")) {
        return Long.parseLong(w.substring(key.length() + 1));
      }
    }
    throw new AssertionError("no " + key + " in " + report);
  }
}
