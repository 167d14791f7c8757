package dev.spoke.inprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallOptions;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InProcessServerTest {

  @Test
  void servesCallsAndFailsThemClearlyOnceClosed() throws Exception {
    TestService service = new TestService();
    InProcessServer server = InProcessServer.start("unit", new ServiceRegistry().addService(service.definition()));
    TestResponse r = ClientCalls.blockingUnaryCall(server.channel(), TestService.UNARY, CallOptions.DEFAULT,
        TestRequest.newBuilder().setId(5).build());
    assertEquals(5, r.getId());
    CompletableFuture<TestResponse> pending = ClientCalls.futureUnaryCall(
        server.channel().newCall(TestService.UNARY, CallOptions.DEFAULT), TestRequest.newBuilder().setHold(true).build());
    assertTrue(service.held.poll(10, TimeUnit.SECONDS) != null);
    server.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(10, TimeUnit.SECONDS));
    assertEquals(Status.Code.UNAVAILABLE, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
    StatusRuntimeException after = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        server.channel(), TestService.UNARY, CallOptions.DEFAULT, TestRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode());
  }

  @Test
  void asyncCallsRacingTheCloseOrAfterItEndUnavailableAndThrowNothing() throws Exception {
    for (int round = 0; round < 20; round++) {
      TestService service = new TestService();
      InProcessServer server = InProcessServer.start("unit", new ServiceRegistry().addService(service.definition()));
      java.util.List<CompletableFuture<TestResponse>> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.List<Throwable> thrown = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      Thread[] callers = new Thread[3];
      for (int t = 0; t < callers.length; t++) {
        int id = t;
        callers[t] = new Thread(() -> {
          try {
            go.await();
            for (int i = 0; i < 200; i++) {
              CompletableFuture<TestResponse> f = ClientCalls.futureUnaryCall(
                  server.channel().newCall(TestService.UNARY, CallOptions.DEFAULT), TestRequest.newBuilder().setId(id * 1000 + i).build());
              calls.add(f);
              if (i % 3 == 0) {
                f.cancel(true); // a cancel racing the close too
              }
            }
          } catch (Throwable x) {
            thrown.add(x);
          }
        });
        callers[t].start();
      }
      go.countDown();
      Thread.sleep(round % 4);
      server.close();
      for (Thread t : callers) {
        t.join(10_000);
      }
      assertTrue(thrown.isEmpty(), "starting or cancelling a call threw: " + thrown);
      for (CompletableFuture<TestResponse> f : calls) {
        try {
          f.get(10, TimeUnit.SECONDS); // answered before the close
        } catch (java.util.concurrent.CancellationException cancelled) {
          // cancelled by its caller
        } catch (ExecutionException e) {
          assertEquals(Status.Code.UNAVAILABLE, ((StatusRuntimeException) e.getCause()).getStatus().getCode(),
              e.getCause().toString());
        }
      }
    }
  }

  @Test
  void gracefulShutdownLetsRunningCallsFinish() throws Exception {
    TestService service = new TestService();
    InProcessServer server = InProcessServer.start("unit", new ServiceRegistry().addService(service.definition()));
    CompletableFuture<TestResponse> running = ClientCalls.futureUnaryCall(
        server.channel().newCall(TestService.UNARY, CallOptions.DEFAULT), TestRequest.newBuilder().setId(1).setHold(true).build());
    TestService.Held h = service.held.poll(10, TimeUnit.SECONDS);
    Thread finisher = new Thread(() -> {
      h.observer.onNext(TestService.response(h.request, 0));
      h.observer.onCompleted();
    });
    finisher.start();
    assertTrue(server.shutdown(10, TimeUnit.SECONDS), "the running call finished within the grace period");
    assertEquals(1, running.get(10, TimeUnit.SECONDS).getId());
  }

  @Test
  void interceptorsGivenAtStartSeeEveryCallAndNoneCostNothing() throws Exception {
    java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
    dev.spoke.ServerInterceptor counting = new dev.spoke.ServerInterceptor() {
      @Override
      public <ReqT, RespT> dev.spoke.ServerCall.Listener<ReqT> interceptCall(dev.spoke.ServerCall<ReqT, RespT> call,
          dev.spoke.Metadata headers, dev.spoke.ServerCallHandler<ReqT, RespT> next) {
        seen.incrementAndGet();
        return next.startCall(call, headers);
      }
    };
    TestService service = new TestService();
    dev.spoke.BindableService bindable = service::definition;
    try (InProcessServer server = InProcessServer.start(java.util.List.of(counting), bindable)) {
      for (int i = 0; i < 3; i++) {
        ClientCalls.blockingUnaryCall(server.channel(), TestService.UNARY, CallOptions.DEFAULT,
            TestRequest.newBuilder().setId(i).build());
      }
    }
    assertEquals(3, seen.get());

    // Without interceptors nothing is wrapped: the same channel, the same service, the same handlers.
    dev.spoke.ServerServiceDefinition def = service.definition();
    assertTrue(dev.spoke.ServerInterceptors.intercept(def) == def);
    dev.spoke.ServiceRegistry registry = new dev.spoke.ServiceRegistry().addService(def);
    assertTrue(registry.lookup(TestService.UNARY.getMethodId()).method() == def.getMethod(TestService.UNARY.getFullMethodName()));
    try (InProcessServer server = InProcessServer.start("plain", registry)) {
      assertTrue(dev.spoke.ClientInterceptors.intercept(server.channel()) == server.channel());
    }
  }
}
