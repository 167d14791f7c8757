package dev.spoke.host;

import static dev.spoke.host.HostPluginTest.payload;
import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Event;
import dev.spoke.it.Payload;
import dev.spoke.it.Summary;
import dev.spoke.shm.HubConfig;
import dev.spoke.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wait-for-ready calls across real plugin restarts. */
class WaitForReadyTest {

  @TempDir
  Path dir;

  private SpokeHost host;

  private Plugin launch(String name, Duration backoff, int maxRestarts) throws Exception {
    host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(dir).build())
        .addService(new TestCallbacks())
        .build();
    return host.launch(PluginSpec.java(name, EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.onFailure(maxRestarts, backoff)).build());
  }

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
  }

  private static Status statusOf(Throwable t) {
    Throwable c = t instanceof ExecutionException ? t.getCause() : t;
    assertTrue(c instanceof StatusRuntimeException, "not a status: " + c);
    return ((StatusRuntimeException) c).getStatus();
  }

  private static long killAndAwaitRestarting(Plugin p) throws InterruptedException {
    long pid = p.pid();
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    waitUntil("the plugin is restarting", 10, () -> p.state() == PluginState.RESTARTING);
    return pid;
  }

  @Test
  void callsMadeDuringARestartWaitForTheNewProcessAndReachIt() throws Exception {
    Plugin p = launch("phoenix", Duration.ofMillis(700), 3);
    long oldPid = killAndAwaitRestarting(p);

    // Blocking unary calls from eight threads, async unary and a client stream: all made while there
    // is no process, all answered by the new one.
    ExecutorService threads = Executors.newFixedThreadPool(8);
    List<Future<Long>> blocking = new ArrayList<>();
    int madeWhileRestarting = 0;
    for (int i = 0; i < 64; i++) {
      long id = i;
      if (p.state() == PluginState.RESTARTING) {
        madeWhileRestarting++;
      }
      blocking.add(threads.submit(() -> {
        EchoSpoke.EchoBlockingStub stub = EchoSpoke.newBlockingStub(p.channel())
            .withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS);
        Payload sent = payload(id, 100 + (int) id * 37, new Random(id));
        Payload back = stub.unary(sent);
        assertEquals(sent, back);
        return stub.whoami(Payload.newBuilder().setId(id).build()).getId();
      }));
    }
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withWaitForReady().withDeadlineAfter(30, TimeUnit.SECONDS);
    CompletableFuture<Payload> unary = async.unary(payload(1000, 5000, new Random(3)));
    CompletableFuture<Summary> summary = new CompletableFuture<>();
    StreamObserver<Payload> requests = async.clientStream(observer(summary));
    long checksums = 0;
    for (int i = 0; i < 10; i++) {
      Payload m = payload(2000 + i, 1000, new Random(i));
      checksums += m.getChecksum();
      requests.onNext(m);
    }
    requests.onCompleted();
    assertEquals(PluginState.RESTARTING, p.state(), "the test must make its calls before the plugin is back");
    assertTrue(madeWhileRestarting > 0);

    for (Future<Long> f : blocking) {
      assertNotEquals(oldPid, f.get(60, TimeUnit.SECONDS).longValue(), "a call reached the dead process");
    }
    assertEquals(1000, unary.get(30, TimeUnit.SECONDS).getId());
    Summary s = summary.get(30, TimeUnit.SECONDS);
    assertEquals(10, s.getCount());
    assertEquals(checksums, s.getChecksumSum());
    assertEquals(1, p.restarts());
    threads.shutdown();
  }

  @Test
  void withoutWaitForReadyACallFailsAtOnceAndWithItTheDeadlineSaysWhatItWaitedFor() throws Exception {
    Plugin p = launch("slowpoke", Duration.ofSeconds(30), 1);
    killAndAwaitRestarting(p);

    StatusRuntimeException fast = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).unary(Payload.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, fast.getStatus().getCode());
    assertTrue(fast.getStatus().getDescription().contains("slowpoke"), fast.getStatus().getDescription());

    long start = System.nanoTime();
    StatusRuntimeException late = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).withWaitForReady().withDeadlineAfter(300, TimeUnit.MILLISECONDS)
            .unary(Payload.getDefaultInstance()));
    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    Status s = late.getStatus();
    assertEquals(Status.Code.DEADLINE_EXCEEDED, s.getCode());
    assertTrue(s.getDescription().contains("waiting for plugin 'slowpoke'") && s.getDescription().contains("restarting")
        && s.getDescription().contains("SIGKILL"), s.getDescription());
    assertTrue(waitedMillis >= 250, "the call gave up after " + waitedMillis + " ms, before its deadline");

    // A waiting call the caller cancels ends CANCELLED; one still waiting when the plugin is stopped
    // ends UNAVAILABLE saying so; both end, neither waits for the 30 s back-off.
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withWaitForReady();
    CompletableFuture<Payload> cancelled = async.unary(Payload.getDefaultInstance());
    CompletableFuture<Payload> stranded = async.unary(Payload.getDefaultInstance());
    assertTrue(cancelled.cancel(true));
    p.close();
    Status strandedStatus = statusOf(assertThrows(ExecutionException.class, () -> stranded.get(10, TimeUnit.SECONDS)));
    assertEquals(Status.Code.UNAVAILABLE, strandedStatus.getCode());
    assertTrue(strandedStatus.getDescription().contains("was stopped"), strandedStatus.getDescription());

    // Once the plugin is down for good, wait-for-ready does not wait.
    StatusRuntimeException after = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).withWaitForReady().unary(Payload.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode());
  }

  @Test
  void waitingCallsFailWhenTheRestartFailsAndThePluginIsDownForGood() throws Exception {
    Path refuse = dir.resolve("refuse-to-start");
    TestCallbacks callbacks = new TestCallbacks();
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).addService(callbacks).build();
    Plugin p = host.launch(PluginSpec.java("doomed", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .environment("ECHO_REFUSE_IF_EXISTS", refuse.toString())
        .restartPolicy(RestartPolicy.onFailure(1, Duration.ofMillis(700))).build());
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withWaitForReady();
    // A call the process had taken when it died is not sent again (one it never read would be).
    CompletableFuture<Payload> hung = async.hang(Payload.getDefaultInstance());
    Event hanging = callbacks.events.poll(30, TimeUnit.SECONDS);
    assertTrue(hanging != null && hanging.getKind().equals("hanging"), "the plugin did not take the call: " + hanging);
    java.nio.file.Files.createFile(refuse);
    killAndAwaitRestarting(p);
    Status inFlight = statusOf(assertThrows(ExecutionException.class, () -> hung.get(10, TimeUnit.SECONDS)));
    assertEquals(Status.Code.UNAVAILABLE, inFlight.getCode());

    List<CompletableFuture<Payload>> waiting = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      waiting.add(async.unary(Payload.newBuilder().setId(i).build()));
    }
    assertEquals(PluginState.RESTARTING, p.state(), "the calls must be made before the restart is tried");
    p.onExit().get(30, TimeUnit.SECONDS);
    assertEquals(PluginState.FAILED, p.state());
    for (CompletableFuture<Payload> f : waiting) {
      Status s = statusOf(assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS)));
      assertEquals(Status.Code.UNAVAILABLE, s.getCode());
      assertTrue(s.getDescription().contains("'doomed'") && s.getDescription().contains("failed for good"),
          s.getDescription());
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).withWaitForReady().unary(Payload.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(null);
      }
    };
  }
}
