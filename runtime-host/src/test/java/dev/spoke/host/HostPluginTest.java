package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.spoke.CallOptions;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.ZeroCopy;
import dev.spoke.it.ChainReply;
import dev.spoke.it.ChainRequest;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Event;
import dev.spoke.it.Payload;
import dev.spoke.it.Summary;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubFile;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.testing.ChildJvm;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host and plugin runtimes with real plugin processes. */
class HostPluginTest {

  @TempDir
  Path dir;

  private SpokeHost host;
  private final TestCallbacks callbacks = new TestCallbacks();

  private SpokeHost host() throws Exception {
    host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(dir).build())
        .addService(callbacks)
        .build();
    return host;
  }

  private Plugin launch(String name) {
    Plugin p = host.launch(PluginSpec.java(name, EchoPlugin.class).jvmArgs("-Xmx256m", "-XX:+UseSerialGC").build());
    callbacks.plugins.add(p);
    return p;
  }

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
  }


  /** Milliseconds since boot, to 10 ms: the clock /proc gives process start times in. */
  static long uptimeMillis() {
    try {
      String up = Files.readString(Path.of("/proc/uptime")).split(" ")[0];
      return Math.round(Double.parseDouble(up) * 1000);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** When {@code pid} started, in milliseconds since boot (its start time in clock ticks of 10 ms). */
  static long startedAtUptimeMillis(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[19]) * 10; // field 22 of stat, counting from the state as field 3
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** True once the process has exited, whether or not its parent has reaped it yet. */
  static boolean exited(ProcessHandle p) {
    if (!p.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
    } catch (java.io.IOException | RuntimeException e) {
      return !p.isAlive();
    }
  }

  static Payload payload(long id, int size, Random rnd) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return EchoPlugin.payload(id, ByteString.copyFrom(b));
  }

  private Event awaitEvent(String kind) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (;;) {
      Event e = callbacks.events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        fail("no '" + kind + "' event from a plugin within 30 s");
      }
      if (e.getKind().equals(kind)) {
        return e;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void fourPluginsSixteenThreadsTenThousandMixedCalls() throws Exception {
    host();
    List<Plugin> plugins = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      plugins.add(launch("echo-" + i));
    }
    int threads = 16;
    int perThread = 10_000 / threads;
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger bigOnes = new AtomicInteger();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread w = new Thread(() -> {
        Random rnd = new Random(seed);
        try {
          for (int i = 0; i < perThread && failures.isEmpty(); i++) {
            Plugin p = plugins.get(rnd.nextInt(plugins.size()));
            long id = ((long) seed << 32) | i;
            mixedCall(p, id, rnd, bigOnes);
            calls.incrementAndGet();
          }
        } catch (Throwable e) {
          failures.add(new AssertionError("thread " + seed + ": " + e, e));
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(TimeUnit.MINUTES.toMillis(3));
      assertFalse(w.isAlive(), "a caller thread hung");
    }
    assertTrue(failures.isEmpty(), () -> "failures: " + failures);
    assertEquals(threads * perThread, calls.get());
    assertTrue(bigOnes.get() > 0, "some calls carried multi-MiB payloads");
    waitUntil("every slot is free after the calls", 10, () -> host.snapshot().poolFullyFree());
  }

  /** One call of a random shape and size, every response checked. */
  private static void mixedCall(Plugin p, long id, Random rnd, AtomicInteger bigOnes) throws Exception {
    int pick = rnd.nextInt(100);
    int size = pick < 40 ? rnd.nextInt(17) : pick < 65 ? 1024 : pick < 80 ? 16 * 1024 : pick < 90 ? 200_000
        : pick < 99 ? (1 << 20) + rnd.nextInt(2 << 20) : 8 << 20;
    if (size >= 1 << 20) {
      bigOnes.incrementAndGet();
    }
    EchoSpoke.EchoBlockingStub blocking = EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    switch (rnd.nextInt(5)) {
      case 0: {
        Payload sent = payload(id, size, rnd);
        assertEquals(sent, blocking.unary(sent));
        break;
      }
      case 1: {
        Payload sent = payload(id, size, rnd);
        assertEquals(sent, async.unary(sent).get(60, TimeUnit.SECONDS));
        break;
      }
      case 2: {
        Payload sent = payload(id, Math.min(size, 256 * 1024), rnd).toBuilder().setRepeat(1 + rnd.nextInt(20)).build();
        int n = 0;
        try (BlockingResponseStream<Payload> it = blocking.serverStream(sent)) {
          while (it.hasNext()) {
            Payload got = it.next();
            assertEquals(id + n, got.getId());
            assertEquals(sent.getChecksum(), EchoPlugin.crc(got.getData()));
            n++;
          }
        }
        assertEquals(sent.getRepeat(), n);
        break;
      }
      case 3: {
        CompletableFuture<Summary> done = new CompletableFuture<>();
        StreamObserver<Payload> requests = async.clientStream(observer(done));
        int n = 1 + rnd.nextInt(20);
        long sum = 0;
        for (int k = 0; k < n; k++) {
          Payload sent = payload(id + k, Math.min(size, 256 * 1024), rnd);
          sum += sent.getChecksum();
          requests.onNext(sent);
        }
        requests.onCompleted();
        Summary s = done.get(60, TimeUnit.SECONDS);
        assertEquals(n, s.getCount());
        assertEquals(sum, s.getChecksumSum());
        break;
      }
      default: {
        List<Payload> got = new ArrayList<>();
        CompletableFuture<List<Payload>> done = new CompletableFuture<>();
        StreamObserver<Payload> requests = async.bidi(new StreamObserver<>() {
          @Override
          public void onNext(Payload value) {
            got.add(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(got);
          }
        });
        List<Payload> sent = new ArrayList<>();
        int n = 1 + rnd.nextInt(20);
        for (int k = 0; k < n; k++) {
          Payload s = payload(id + k, Math.min(size, 256 * 1024), rnd);
          sent.add(s);
          requests.onNext(s);
        }
        requests.onCompleted();
        assertEquals(sent, done.get(60, TimeUnit.SECONDS));
      }
    }
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> done) {
    return new StreamObserver<>() {
      T last;

      @Override
      public void onNext(T value) {
        last = value;
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(last);
      }
    };
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void pluginsCallTheHostAndChainsReenterAcrossTwoPlugins() throws Exception {
    host();
    Plugin a = launch("chain-a");
    launch("chain-b");
    // A plugin calls the host...
    Payload who = EchoSpoke.newBlockingStub(a.channel()).whoami(Payload.newBuilder().setId(1).build());
    assertEquals("chain-a", who.getData().toStringUtf8());
    assertEquals(a.pid(), who.getId());
    assertEquals(1, who.getChecksum(), "the host's Reverse answered the plugin correctly");
    // ...and a chain host → A → host → B → host → A → host → B → host → A re-enters both plugins.
    ChainReply reply = EchoSpoke.newBlockingStub(a.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
        .chain(ChainRequest.newBuilder().setDepth(4).addPath("host").build());
    assertEquals(List.of("host", "chain-a", "chain-b", "chain-a", "chain-b", "chain-a"), reply.getPathList());
  }

  @Test
  void aHostServiceKnowsWhichPluginCalledIt() throws Exception {
    host();
    callbacks.host = host;
    Plugin a = launch("alpha");
    Plugin b = launch("beta");
    for (Plugin p : List.of(a, b, a)) {
      EchoSpoke.newBlockingStub(p.channel()).whoami(Payload.getDefaultInstance());
      assertEquals(p.name(), callbacks.reverseCallers.poll(10, TimeUnit.SECONDS));
    }
    assertEquals(null, host.caller(), "the test thread serves no call");
  }

  @Test
  void killedPluginFailsItsCallsFastThenRestartsAndThePoolComesBack() throws Exception {
    host();
    Plugin victim = host.launch(PluginSpec.java("victim", EchoPlugin.class).jvmArgs("-Xmx128m")
        .restartPolicy(RestartPolicy.onFailure(2, Duration.ofMillis(200))).build());
    java.util.concurrent.BlockingQueue<String> changes = new java.util.concurrent.LinkedBlockingQueue<>();
    victim.addStateListener((plugin, from, to) -> changes.add(from + " -> " + to + " pid " + plugin.pid()));
    EchoSpoke.EchoStub stub = EchoSpoke.newStub(victim.channel());
    List<CompletableFuture<Payload>> inFlight = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inFlight.add(stub.hang(Payload.newBuilder().setId(i).build()));
      awaitEvent("hanging");
    }
    // A large call in flight too, so slots are held when the plugin dies.
    CompletableFuture<Payload> big = stub.unary(payload(99, 3 << 20, new Random(1)).toBuilder().setSleepMillis(5000).build());
    long oldPid = victim.pid();
    ProcessHandle.of(oldPid).orElseThrow().destroyForcibly();
    long killedAt = System.nanoTime();
    inFlight.add(big);
    for (CompletableFuture<Payload> f : inFlight) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
      Status s = ((StatusRuntimeException) e.getCause()).getStatus();
      assertEquals(Status.Code.UNAVAILABLE, s.getCode());
      assertTrue(s.getDescription().contains("victim") && s.getDescription().contains(String.valueOf(oldPid))
          && s.getDescription().contains("SIGKILL"), s.getDescription());
    }
    long failedWithin = System.nanoTime() - killedAt;
    assertTrue(failedWithin < TimeUnit.SECONDS.toNanos(1), "calls failed " + failedWithin / 1e6 + " ms after the kill");
    // The restart policy brings it back, and the same channel works again.
    waitUntil("the plugin restarts", 30, () -> victim.state() == PluginState.READY && victim.pid() != oldPid);
    assertEquals(1, victim.restarts());
    Payload again = EchoSpoke.newBlockingStub(victim.channel()).unary(payload(7, 100, new Random(2)));
    assertEquals(7, again.getId());
    assertTrue(victim.lastExit().describe().contains("SIGKILL"), victim.lastExit().toString());
    // The host was told of the crash and of the new process, in order.
    assertEquals("READY -> RESTARTING pid " + oldPid, changes.poll(10, TimeUnit.SECONDS));
    assertEquals("RESTARTING -> READY pid " + victim.pid(), changes.poll(10, TimeUnit.SECONDS));
    victim.close();
    assertEquals("READY -> STOPPING", changes.poll(10, TimeUnit.SECONDS).replaceAll(" pid .*", ""));
    assertEquals("STOPPING -> STOPPED", changes.poll(10, TimeUnit.SECONDS).replaceAll(" pid .*", ""));
    assertEquals(null, changes.poll(200, TimeUnit.MILLISECONDS), "a change was told twice");
    waitUntil("every slot is free again", 10, () -> host.snapshot().poolFullyFree());
  }

  @Test
  void aCrashLoopCountsUpAndAProcessThatRanStablyStartsTheBackoffOver() throws Exception {
    host();
    Duration stable = Duration.ofSeconds(4);
    Plugin p = host.launch(PluginSpec.java("looping", EchoPlugin.class).jvmArgs("-Xmx128m")
        .restartPolicy(RestartPolicy.onFailure(10, Duration.ofSeconds(1)).withStableAfter(stable)).build());
    // From each crash to the start of the next process: the back-off, without the JVM's launch (which a
    // loaded machine stretches by seconds).
    java.util.concurrent.BlockingQueue<Long> restartGaps = new java.util.concurrent.LinkedBlockingQueue<>();
    long[] crashedAtMillis = new long[1];
    p.addStateListener((plugin, from, to) -> {
      if (to == PluginState.RESTARTING) {
        crashedAtMillis[0] = uptimeMillis();
      } else if (from == PluginState.RESTARTING && to == PluginState.READY) {
        restartGaps.add(TimeUnit.MILLISECONDS.toNanos(startedAtUptimeMillis(plugin.pid()) - crashedAtMillis[0]));
      }
    });
    assertEquals(0, p.failuresInARow());
    // Killed as soon as each process is ready: a crash loop, and its back-off doubles (1 s, then 2 s).
    long[] gaps = new long[3];
    for (int failures = 1; failures <= 2; failures++) {
      long pid = p.pid();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      gaps[failures - 1] = restartGaps.poll(30, TimeUnit.SECONDS);
      waitUntil("restart " + failures, 30, () -> p.state() == PluginState.READY && p.pid() != pid);
      assertEquals(failures, p.failuresInARow());
    }
    assertTrue(gaps[1] >= TimeUnit.MILLISECONDS.toNanos(1980), "the second restart in a row waited 2 s: " + gaps[1] / 1e6 + " ms");
    // A process that ran past the stable period: its crash starts the count, and the back-off, over:
    // 1 s again, where counting every restart would have waited 4 s.
    Thread.sleep(stable.toMillis() + 300); // the passage of time is the point: a run past the stable period
    long pid = p.pid();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    gaps[2] = restartGaps.poll(30, TimeUnit.SECONDS);
    waitUntil("the restart after a stable run", 30, () -> p.state() == PluginState.READY && p.pid() != pid);
    assertEquals(1, p.failuresInARow());
    // Start instants are whole 10 ms ticks: allow for that below the second.
    assertTrue(gaps[2] >= TimeUnit.MILLISECONDS.toNanos(980) && gaps[2] < TimeUnit.MILLISECONDS.toNanos(1900),
        "after a stable run the back-off is 1 s again: the next process started " + gaps[2] / 1e6 + " ms after the crash");
    assertEquals(3, p.restarts(), "every restart counts against maxRestarts");
  }

  @Test
  void aZeroCopyResponseOutlivesThePluginThatSentItAndItsSlotComesBackOnRelease() throws Exception {
    host();
    Plugin p = launch("zero-copy");
    byte[] sent = new byte[256 << 10];
    new Random(11).nextBytes(sent);
    ByteBuffer kept = ClientCalls.blockingUnaryCall(p.channel(), EchoPlugin.RAW_ECHO, CallOptions.DEFAULT,
        ByteBuffer.wrap(sent));
    assertTrue(ZeroCopy.isHeld(kept), "the response is the slot itself");
    long pid = p.pid();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    waitUntil("the host reclaims the killed plugin and restarts it", 30,
        () -> p.state() == PluginState.READY && p.pid() != pid);
    // The reclaim of the sender left the slot the host keeps; traffic of the new process does not reuse it.
    for (int i = 0; i < 50; i++) {
      ByteBuffer other = ClientCalls.blockingUnaryCall(p.channel(), EchoPlugin.RAW_ECHO, CallOptions.DEFAULT,
          ByteBuffer.wrap(new byte[256 << 10]));
      assertTrue(ZeroCopy.release(other));
    }
    assertEquals(ByteBuffer.wrap(sent), kept, "the kept response's bytes after its sender died");
    assertFalse(host.snapshot().poolFullyFree(), "the kept slot is still in use");
    assertTrue(ZeroCopy.release(kept));
    waitUntil("every slot is free once the response is released", 30, () -> host.snapshot().poolFullyFree());
  }

  @Test
  void aHostServesAZeroCopyMethodToAPluginAndEverySlotComesBack() throws Exception {
    long leaks = ZeroCopy.leaks();
    int inPlaceBefore = EchoPlugin.HOST_REQUESTS_IN_PLACE.get();
    host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(dir).build())
        .addService((dev.spoke.BindableService) EchoPlugin::hostRawEcho)
        .build();
    Plugin p = launch("relay");
    for (int size : new int[] {1024, 256 << 10, 3 << 20}) {
      byte[] sent = new byte[size];
      new Random(size).nextBytes(sent);
      // host → plugin (in place) → host's raw echo (in place, on the host) → plugin → host (in place)
      ByteBuffer back = ClientCalls.blockingUnaryCall(p.channel(), EchoPlugin.RAW_RELAY, CallOptions.DEFAULT,
          ByteBuffer.wrap(sent));
      assertEquals(ByteBuffer.wrap(sent), back, size + " bytes, relayed through the host's own zero-copy handler");
      assertTrue(ZeroCopy.release(back));
    }
    assertEquals(3, EchoPlugin.HOST_REQUESTS_IN_PLACE.get() - inPlaceBefore, "the host's handler read each request in place");
    waitUntil("every slot is free once the calls ended", 30, () -> host.snapshot().poolFullyFree());
    assertEquals(leaks, ZeroCopy.leaks(), "slots freed only by the collector (leaks)");
  }

  @Test
  void pluginThatKeepsDyingFailsForGood() throws Exception {
    host();
    Plugin p = host.launch(PluginSpec.java("fragile", EchoPlugin.class).jvmArgs("-Xmx128m")
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofMillis(100))).build());
    ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
    waitUntil("the first restart", 30, () -> p.state() == PluginState.READY && p.restarts() == 1);
    ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();
    PluginExit exit = p.onExit().get(30, TimeUnit.SECONDS);
    assertEquals(PluginState.FAILED, p.state());
    assertFalse(exit.requested());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).unary(Payload.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("failed"), e.getStatus().getDescription());
  }

  @Test
  void hungHandlerMeetsItsDeadlineAndThePluginSeesTheCancellation() throws Exception {
    host();
    Plugin p = launch("hanger");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> EchoSpoke.newBlockingStub(p.channel())
        .withDeadlineAfter(300, TimeUnit.MILLISECONDS).hang(Payload.newBuilder().setId(42).build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    Event cancelled = awaitEvent("cancelled");
    assertEquals("hanger", cancelled.getPlugin());
    assertEquals("DEADLINE_EXCEEDED 42", cancelled.getDetail());
  }

  @Test
  void pluginsExitWithinTwoSecondsOfTheirHostsDeath() throws Exception {
    try (ChildJvm hostProcess = ChildJvm.start(HostMain.class, dir.toString())) {
      String line = hostProcess.awaitLine("PLUGINS", 60, TimeUnit.SECONDS);
      String[] w = line.split(" ");
      List<ProcessHandle> plugins = List.of(ProcessHandle.of(Long.parseLong(w[1])).orElseThrow(),
          ProcessHandle.of(Long.parseLong(w[2])).orElseThrow());
      hostProcess.kill9();
      long killed = System.nanoTime();
      // Exited, reaped or not: orphans are reaped by init, which in containers may take its time.
      waitUntil("the orphaned plugins exit", 10, () -> plugins.stream().allMatch(HostPluginTest::exited));
      long took = System.nanoTime() - killed;
      assertTrue(took < TimeUnit.SECONDS.toNanos(2), "the orphaned plugins took " + took / 1e6 + " ms to exit");
      // The dead host's hub was sealed memory, gone with it; its name, a link that now leads nowhere,
      // is left behind, and the next host removes it.
      Path stale = Path.of(w[3]);
      assertTrue(Files.isSymbolicLink(stale), "the hub's name is a link to its memory");
      assertFalse(Files.exists(stale), "the memory went with its host");
      assertEquals(1, HubFile.removeStaleHubs(dir));
      assertFalse(Files.exists(stale, LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void pluginsOutliveAHostSuspendedPastItsHeartbeatTimeout() throws Exception {
    // A host stopped in a debugger or with Ctrl-Z writes no heartbeat; its plugins must still be there
    // when it resumes. Here the heartbeat timeout is 0.5 s and the host is stopped for 2.5 s.
    try (ChildJvm hostProcess = ChildJvm.start(HostMain.class, dir.toString(), "500")) {
      String[] w = hostProcess.awaitLine("PLUGINS", 60, TimeUnit.SECONDS).split(" ");
      List<ProcessHandle> plugins = List.of(ProcessHandle.of(Long.parseLong(w[1])).orElseThrow(),
          ProcessHandle.of(Long.parseLong(w[2])).orElseThrow());
      signal("STOP", hostProcess.pid());
      try {
        Thread.sleep(2500); // the passage of time is the point: five heartbeat timeouts
        assertTrue(plugins.stream().noneMatch(HostPluginTest::exited), "a plugin left its suspended host");
      } finally {
        signal("CONT", hostProcess.pid());
      }
      hostProcess.send("CALL");
      assertEquals("CALLED orphan-a " + w[1], hostProcess.awaitLine("CALLED orphan-a", 30, TimeUnit.SECONDS));
      assertEquals("CALLED orphan-b " + w[2], hostProcess.awaitLine("CALLED orphan-b", 30, TimeUnit.SECONDS));
      hostProcess.kill9();
      waitUntil("the plugins leave their dead host", 10, () -> plugins.stream().allMatch(HostPluginTest::exited));
    }
  }

  static void signal(String signal, long pid) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
    if (signal.equals("STOP")) {
      awaitStopped(pid);
    }
  }

  /**
   * Waits until every thread of {@code pid} is stopped ('T' in /proc): kill returns once the signal is
   * sent, and a thread running on another CPU may still take a frame off its ring meanwhile.
   */
  static void awaitStopped(long pid) throws Exception {
    Path tasks = java.nio.file.Paths.get("/proc", Long.toString(pid), "task");
    waitUntil("every thread of process " + pid + " is stopped", 10, () -> {
      try (java.util.stream.Stream<Path> all = java.nio.file.Files.list(tasks)) {
        return all.allMatch(t -> threadState(t) == 'T');
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** The state letter of a thread from its /proc stat line (the field after the parenthesised name). */
  private static char threadState(Path task) {
    try {
      String stat = java.nio.file.Files.readString(task.resolve("stat"), java.nio.charset.StandardCharsets.US_ASCII);
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (java.io.IOException e) {
      return 'T'; // the thread ended: it runs no more
    }
  }


  @Test
  void launchFailuresSayWhatWentWrong() throws Exception {
    host();
    PluginLaunchException noClass = assertThrows(PluginLaunchException.class,
        () -> host.launch(PluginSpec.java("ghost", "dev.spoke.host.NoSuchPlugin").build()));
    assertTrue(noClass.getMessage().contains("dev.spoke.host.NoSuchPlugin is not on the class path"),
        noClass.getMessage()); // found out before any process started

    PluginLaunchException exits = assertThrows(PluginLaunchException.class,
        () -> host.launch(PluginSpec.java("quitter", EchoPlugin.class).args("exit-at-once").build()));
    assertTrue(exits.getMessage().contains("exited with status 7")
        && exits.getMessage().contains("refusing to start, as the test asked"), exits.getMessage());

    PluginLaunchException silent = assertThrows(PluginLaunchException.class,
        () -> host.launch(PluginSpec.java("mute", EchoPlugin.class).args("never-ready")
            .readyTimeout(Duration.ofSeconds(8)).build()));
    assertTrue(silent.getMessage().contains("did not send READY within 8000 ms")
        && silent.getMessage().contains("never saying READY"), silent.getMessage());

    PluginLaunchException missing = assertThrows(PluginLaunchException.class,
        () -> host.launch(PluginSpec.command("nowhere", List.of(dir.resolve("no-such-program").toString())).build()));
    assertTrue(missing.getMessage().contains("could not start plugin 'nowhere'"), missing.getMessage());

    waitUntil("every failed launch gave its peer entry back", 10, () -> host.snapshot().peers.isEmpty());
    assertTrue(host.plugins().isEmpty());
  }

  @Test
  void aPluginStartedWronglyPrintsOneLineAndExits() throws Exception {
    try (ChildJvm bare = ChildJvm.start(EchoPlugin.class)) {
      assertEquals(2, bare.waitFor(30, TimeUnit.SECONDS));
      String err = bare.stderr().strip();
      assertEquals(1, err.lines().count(), err);
      assertTrue(err.startsWith("spoke plugin: missing --hub-path") && err.contains("started by its host"), err);
    }
    try (ChildJvm lost = ChildJvm.start(EchoPlugin.class, "--hub-path=" + dir.resolve("gone.hub"), "--peer-id=0",
        "--hub-token=1.00")) {
      assertEquals(2, lost.waitFor(30, TimeUnit.SECONDS));
      String err = lost.stderr().strip();
      assertEquals(1, err.lines().count(), err);
      assertTrue(err.startsWith("spoke plugin: ") && err.contains("gone.hub"), err);
    }
  }

  @Test
  void gracefulShutdownFinishesCallsAndLeavesNoProcessAndNoFile() throws Exception {
    // The default hub directory, under /dev/shm: what a user's host uses.
    host = SpokeHost.builder().addService(callbacks).build();
    Path hubFile = host.hubPath();
    List<Plugin> plugins = List.of(launch("calm-a"), launch("calm-b"));
    List<ProcessHandle> processes = new ArrayList<>();
    List<CompletableFuture<Payload>> running = new ArrayList<>();
    List<Long> ids = new ArrayList<>();
    for (Plugin p : plugins) {
      processes.add(ProcessHandle.of(p.pid()).orElseThrow());
      ids.add(p.pid());
      running.add(EchoSpoke.newStub(p.channel()).unary(payload(p.pid(), 1000, new Random(3)).toBuilder().setSleepMillis(700).build()));
    }
    waitUntil("both plugins took their calls off their rings", 10, () -> host.snapshot().peers.stream()
        .allMatch(p -> p.toPeer.depth == 0));
    host.close();
    for (int i = 0; i < running.size(); i++) {
      assertEquals(ids.get(i), running.get(i).get(1, TimeUnit.SECONDS).getId(), "the running call finished");
    }
    for (Plugin p : plugins) {
      assertEquals(PluginState.STOPPED, p.state());
      PluginExit exit = p.lastExit();
      assertNotNull(exit);
      assertTrue(exit.requested());
      assertEquals(0, exit.status(), exit.toString());
    }
    for (ProcessHandle ph : processes) {
      assertTrue(exited(ph), "plugin process " + ph.pid() + " is still running");
    }
    assertFalse(Files.exists(hubFile), "the hub file is gone");
    Path directory = hubFile.getParent();
    if (Files.isDirectory(directory)) {
      try (Stream<Path> left = Files.list(directory)) {
        Optional<Path> ours = left.filter(f -> f.getFileName().toString().startsWith(
            "spoke-" + ProcessHandle.current().pid() + "-")).findAny();
        assertTrue(ours.isEmpty(), "left behind: " + ours);
      }
    }
    host = null;
  }

  @Test
  void newCallsAreRefusedWhileAPluginStops() throws Exception {
    host();
    Plugin p = launch("stopping");
    CompletableFuture<Payload> slow = EchoSpoke.newStub(p.channel())
        .unary(payload(1, 10, new Random(4)).toBuilder().setSleepMillis(800).build());
    waitUntil("the plugin took the slow call off its ring", 10, () -> host.snapshot().peers.stream()
        .allMatch(peer -> peer.toPeer.depth == 0));
    Thread closer = new Thread(p::close);
    closer.start();
    waitUntil("the plugin is stopping", 10, () -> p.state() == PluginState.STOPPING);
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).unary(Payload.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());
    assertEquals(1, slow.get(10, TimeUnit.SECONDS).getId());
    closer.join(10_000);
    assertEquals(PluginState.STOPPED, p.state());
    assertNotEquals(0, p.lastExit().pid());
  }
}
