package dev.spoke.host;

import static dev.spoke.host.HostPluginTest.payload;
import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.Context;
import dev.spoke.ForwardingClientCall;
import dev.spoke.ForwardingClientCallListener;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.RetryPolicy;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServiceConfig;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.ChainReply;
import dev.spoke.it.ChainRequest;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.it.Summary;
import dev.spoke.protobuf.StatusProto;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubSnapshot;
import dev.spoke.stub.MetadataInterceptors;
import dev.spoke.stub.StreamObserver;
import dev.spoke.testing.EchoMetadataInterceptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What gRPC-java code uses every day, between a host and real plugin processes: interceptors on both
 * sides, response headers, binary metadata, a trace id across three hops, rich errors, and retries
 * across a SIGKILL.
 */
class CallApiAcrossProcessesTest {

  @TempDir
  Path dir;

  private SpokeHost host;
  private final TestCallbacks callbacks = new TestCallbacks();
  /** What the host's client interceptor saw: calls started and closed, and each call's response headers. */
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();
  private final List<Metadata> responseHeaders = Collections.synchronizedList(new ArrayList<>());
  /** What the host's server interceptor saw: the x-from-plugin of each call a plugin made. */
  private final LinkedBlockingQueue<String> fromPlugins = new LinkedBlockingQueue<>();

  /** Adds x-from-host, counts calls, and keeps the response headers. */
  private final ClientInterceptor hostClient = new ClientInterceptor() {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
      return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          started.incrementAndGet();
          headers.put(ApiFixtures.FROM_HOST, "h-" + method.getBareMethodName());
          super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onHeaders(Metadata h) {
              responseHeaders.add(h);
              super.onHeaders(h);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
              closed.incrementAndGet();
              super.onClose(status, trailers);
            }
          }, headers);
        }
      };
    }
  };

  /** Records who each plugin call to the host came from. */
  private final ServerInterceptor hostServer = new ServerInterceptor() {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      fromPlugins.add(String.valueOf(headers.get(ApiFixtures.FROM_PLUGIN)));
      return next.startCall(call, headers);
    }
  };

  private SpokeHost host() throws Exception {
    host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(dir).build())
        .addService(callbacks)
        .intercept(hostServer, ApiFixtures.TRACE.serverInterceptor())
        .interceptPluginChannels(ApiFixtures.TRACE.clientInterceptor())
        .build();
    return host;
  }

  private PluginSpec.Builder spec(String name, String... args) {
    return PluginSpec.java(name, EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC").args(args);
  }

  private Plugin launch(PluginSpec spec) {
    Plugin p = host.launch(spec);
    callbacks.plugins.add(p);
    return p;
  }

  @AfterEach
  void tearDown() {
    if (host != null) {
      host.close();
    }
  }

  private static <T> StreamObserver<T> into(CompletableFuture<List<T>> done) {
    List<T> values = Collections.synchronizedList(new ArrayList<>());
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        values.add(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(values);
      }
    };
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void interceptorChainsOnBothSidesAddAHeaderReadItAcrossTheProcessAndMeasureCalls() throws Exception {
    host();
    Plugin p = launch(spec("api-a", "api").intercept(hostClient).build());
    EchoSpoke.EchoBlockingStub blocking = EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);

    Payload one = payload(1, 100, new Random(1));
    assertEquals(one, blocking.unary(one));
    try (var stream = blocking.serverStream(one.toBuilder().setRepeat(3).build())) {
      int n = 0;
      while (stream.hasNext()) {
        stream.next();
        n++;
      }
      assertEquals(3, n);
    }
    CompletableFuture<List<Payload>> echoed = new CompletableFuture<>();
    StreamObserver<Payload> bidi = async.bidi(into(echoed));
    bidi.onNext(one);
    bidi.onNext(payload(2, 50, new Random(2)));
    bidi.onCompleted();
    assertEquals(2, echoed.get(30, TimeUnit.SECONDS).size());
    CompletableFuture<List<Summary>> summed = new CompletableFuture<>();
    StreamObserver<Payload> sum = async.clientStream(into(summed));
    sum.onNext(one);
    sum.onCompleted();
    assertEquals(1, summed.get(30, TimeUnit.SECONDS).get(0).getCount());

    // The plugin's interceptor saw the header the host's added, and counted the calls.
    List<String> saw = new ArrayList<>();
    List<String> counted = new ArrayList<>();
    for (Metadata h : responseHeaders) {
      saw.add(h.get(ApiFixtures.PLUGIN_SAW));
      counted.add(h.get(ApiFixtures.PLUGIN_CALLS));
    }
    assertEquals(List.of("h-Unary", "h-ServerStream", "h-Bidi", "h-ClientStream"), saw);
    assertEquals(List.of("1", "2", "3", "4"), counted);
    assertEquals(4, started.get());
    assertEquals(4, closed.get());

    // The other way: the plugin's interceptor adds its name to the call it makes to the host.
    fromPlugins.clear();
    Payload me = blocking.whoami(Payload.newBuilder().setId(9).build());
    assertEquals(1, me.getChecksum());
    assertEquals("api-a", fromPlugins.poll(30, TimeUnit.SECONDS));
  }

  @Test
  void customMetadataInteropCaseAcrossProcesses() throws Exception {
    host();
    Plugin p = launch(spec("interop", "api").build());
    Metadata extra = new Metadata();
    extra.put(EchoMetadataInterceptor.ECHO_INITIAL, EchoMetadataInterceptor.INITIAL_VALUE);
    extra.put(EchoMetadataInterceptor.ECHO_TRAILING, EchoMetadataInterceptor.TRAILING_VALUE);
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    EchoSpoke.EchoBlockingStub blocking = EchoSpoke.newBlockingStub(p.channel())
        .withInterceptors(MetadataInterceptors.newAttachHeadersInterceptor(extra),
            MetadataInterceptors.newCaptureMetadataInterceptor(headers, trailers))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
    Payload big = payload(1, 271_828, new Random(7));
    assertEquals(big, blocking.unary(big));
    assertEquals(EchoMetadataInterceptor.INITIAL_VALUE, headers.get().get(EchoMetadataInterceptor.ECHO_INITIAL));
    assertArrayEquals(EchoMetadataInterceptor.TRAILING_VALUE, trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILING));

    headers.set(null);
    trailers.set(null);
    CompletableFuture<List<Payload>> echoed = new CompletableFuture<>();
    StreamObserver<Payload> duplex = EchoSpoke.newStub(p.channel())
        .withInterceptors(MetadataInterceptors.newAttachHeadersInterceptor(extra),
            MetadataInterceptors.newCaptureMetadataInterceptor(headers, trailers))
        .bidi(into(echoed));
    duplex.onNext(payload(2, 314_159, new Random(8)));
    duplex.onCompleted();
    assertEquals(314_159, echoed.get(30, TimeUnit.SECONDS).get(0).getData().size());
    assertEquals(EchoMetadataInterceptor.INITIAL_VALUE, headers.get().get(EchoMetadataInterceptor.ECHO_INITIAL));
    assertArrayEquals(EchoMetadataInterceptor.TRAILING_VALUE, trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILING));
  }

  @Test
  void aTraceIdFollowsACallThroughThePluginsAndTheHostAndBack() throws Exception {
    host();
    Plugin a = launch(spec("trace-a", "api").build());
    launch(spec("trace-b", "api").build());
    ChainReply reply = Context.current().withValue(ApiFixtures.TRACE_ID, "t-77").call(() ->
        EchoSpoke.newBlockingStub(a.channel()).withDeadlineAfter(30, TimeUnit.SECONDS)
            .chain(ChainRequest.newBuilder().setDepth(2).addPath("host").build()));
    assertEquals(List.of("host", "trace-a#t-77", "trace-b#t-77", "trace-a#t-77"), reply.getPathList());
    assertEquals("t-77", callbacks.relayTraces.poll(30, TimeUnit.SECONDS));
    assertEquals("t-77", callbacks.relayTraces.poll(30, TimeUnit.SECONDS));
    // Without a trace, none appears anywhere.
    ChainReply plain = EchoSpoke.newBlockingStub(a.channel()).chain(ChainRequest.newBuilder().setDepth(1).addPath("host").build());
    assertEquals(List.of("host", "trace-a", "trace-b"), plain.getPathList());
  }

  @Test
  void richErrorDetailsCrossTheProcessBoundary() throws Exception {
    host();
    Plugin p = launch(spec("rich", "api").build());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> EchoSpoke.newBlockingStub(p.channel()).unary(Payload.newBuilder().setFailRich("QUOTA").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    com.google.rpc.Status rich = StatusProto.fromThrowable(e);
    assertEquals("rich failure of rich", rich.getMessage());
    ErrorInfo info = rich.getDetails(0).unpack(ErrorInfo.class);
    assertEquals("QUOTA", info.getReason());
    assertEquals("rich", info.getDomain());
  }

  // ---------------------------------------------------------------------------------------------
  // Retries and the crash window

  @Test
  void waitForReadyCallsMadeJustAfterAKillReachTheNextProcess() throws Exception {
    host();
    Plugin p = launch(spec("phoenix").restartPolicy(RestartPolicy.onFailure(3, Duration.ofMillis(200))).build());
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withWaitForReady().withDeadlineAfter(60, TimeUnit.SECONDS);
    for (int round = 0; round < 2; round++) {
      long pid = p.pid();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      // At once: the host has not noticed yet, so these go to the dead process's ring.
      List<CompletableFuture<Payload>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(async.whoami(Payload.newBuilder().setId(i).build()));
      }
      for (CompletableFuture<Payload> f : calls) {
        Payload who;
        try {
          who = f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new AssertionError("a wait-for-ready call failed in the crash window (round " + round + ")", e.getCause());
        }
        assertNotEquals(pid, who.getId(), "a call was answered by the dead process");
      }
    }
    assertEquals(2, p.restarts());
  }

  @Test
  void callsADeadPluginNeverReadSayTheyDidNotRunAndTheOneItTookDoesNot() throws Exception {
    host();
    Plugin p = launch(spec("sleeper").build());
    EchoSpoke.EchoStub async = EchoSpoke.newStub(p.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    CompletableFuture<Payload> taken = async.unary(payload(1, 10, new Random(1)).toBuilder().setSleepMillis(20_000).build());
    waitUntil("the plugin took the first call", 30, () -> ringToPlugin("sleeper").depth == 0);
    HostPluginTest.signal("STOP", p.pid()); // it reads nothing more
    List<CompletableFuture<Payload>> unread = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      unread.add(async.unary(payload(10 + i, 10, new Random(i))));
    }
    waitUntil("five calls wait in the ring", 30, () -> ringToPlugin("sleeper").depth == 5);
    ProcessHandle.of(p.pid()).orElseThrow().destroyForcibly();

    StatusRuntimeException tookIt = failure(taken);
    assertEquals(Status.Code.UNAVAILABLE, tookIt.getStatus().getCode());
    assertFalse(CallNotRun.isMarked(tookIt), "the call the plugin took was reported as never run");
    for (CompletableFuture<Payload> f : unread) {
      StatusRuntimeException e = failure(f);
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertEquals(CallNotRun.UNREAD, e.getTrailers().get(CallNotRun.KEY), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains("did not run") && e.getStatus().getDescription().contains("SIGKILL"),
          e.getStatus().getDescription());
    }
  }

  @Test
  void aRetryPolicyMakesACallTheDeadProcessHadTakenAgainOnTheNextOne() throws Exception {
    host();
    RetryPolicy policy = RetryPolicy.builder().maxAttempts(3).initialBackoff(Duration.ofMillis(100))
        .maxBackoff(Duration.ofMillis(500)).retryableStatusCodes(Status.Code.UNAVAILABLE).build();
    Plugin p = launch(spec("retried", "api").restartPolicy(RestartPolicy.onFailure(2, Duration.ofMillis(200)))
        .serviceConfig(ServiceConfig.builder().retryPolicy("spoke.it.Echo/Unary", policy).waitForReady("spoke.it.Echo/Unary", true).build())
        .intercept(hostClient).build());
    long pid = p.pid();
    CompletableFuture<Payload> call = EchoSpoke.newStub(p.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
        .unary(payload(1, 10, new Random(1)).toBuilder().setSleepMillis(1_500).build());
    waitUntil("the plugin took the call", 30, () -> ringToPlugin("retried").depth == 0 && p.pid() == pid);
    Thread.sleep(200); // let it reach the handler's sleep
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    assertEquals(1, call.get(60, TimeUnit.SECONDS).getId());
    assertNotEquals(pid, p.pid());
    // The interceptor above the retries saw one call, answered by its second attempt.
    assertEquals(1, started.get());
    assertEquals(1, closed.get());
    assertEquals("1", responseHeaders.get(responseHeaders.size() - 1).get(ApiFixtures.ATTEMPT));
  }

  private HubSnapshot.RingState ringToPlugin(String name) {
    for (HubSnapshot.PeerState peer : host.snapshot().peers) {
      if (peer.name.equals(name)) {
        return peer.toPeer;
      }
    }
    throw new AssertionError("no peer '" + name + "' in " + host.snapshot());
  }

  private static StatusRuntimeException failure(CompletableFuture<?> f) throws Exception {
    try {
      f.get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof StatusRuntimeException, "not a status: " + e.getCause());
      return (StatusRuntimeException) e.getCause();
    }
    throw new AssertionError("the call succeeded");
  }
}
