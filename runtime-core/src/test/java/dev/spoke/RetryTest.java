package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.inprocess.InProcessServer;
import dev.spoke.protobuf.ProtoMarshallers;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.ServerCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Retry policies and transparent retries, over an in-process server whose handlers fail on purpose. */
class RetryTest {

  private static final MethodDescriptor<TestRequest, TestResponse> FLAKY = method(MethodDescriptor.MethodType.UNARY, "Flaky");
  private static final MethodDescriptor<TestRequest, TestResponse> STREAM =
      method(MethodDescriptor.MethodType.SERVER_STREAMING, "Stream");
  private static final MethodDescriptor<TestRequest, TestResponse> SUM =
      method(MethodDescriptor.MethodType.CLIENT_STREAMING, "Sum");

  private static MethodDescriptor<TestRequest, TestResponse> method(MethodDescriptor.MethodType type, String name) {
    return MethodDescriptor.<TestRequest, TestResponse>newBuilder(
            ProtoMarshallers.marshaller(TestRequest.getDefaultInstance()),
            ProtoMarshallers.marshaller(TestResponse.getDefaultInstance()))
        .setType(type)
        .setFullMethodName("spoke.test.Retry/" + name)
        .build();
  }

  /** Attempts each handler saw, and the previous-attempts header of each. */
  private final AtomicInteger attempts = new AtomicInteger();
  private final List<String> previous = Collections.synchronizedList(new ArrayList<>());
  private InProcessServer server;

  /**
   * Flaky fails its first {@code id} attempts with the code {@code fail_code} (UNAVAILABLE when 0), then
   * answers; {@code fail_message} is sent as the push-back trailer when set. Stream sends one message
   * and then fails UNAVAILABLE. Sum answers with the number of requests it got.
   */
  @BeforeEach
  void serve() {
    ServerServiceDefinition service = ServerServiceDefinition.builder("spoke.test.Retry")
        .addMethod(FLAKY, ServerCalls.asyncUnaryCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          int n = attempts.incrementAndGet();
          if (n <= request.getId()) {
            Metadata trailers = new Metadata();
            if (!request.getFailMessage().isEmpty()) {
              trailers.put(RetryPolicy.PUSHBACK_KEY_NAME, request.getFailMessage());
            }
            Status.Code code = request.getFailCode() == 0 ? Status.Code.UNAVAILABLE : Status.Code.fromValue(request.getFailCode());
            response.onError(code.toStatus().withDescription("attempt " + n + " fails").asRuntimeException(trailers));
            return;
          }
          response.onNext(TestResponse.newBuilder().setIndex(n).build());
          response.onCompleted();
        }))
        .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          attempts.incrementAndGet();
          response.onNext(TestResponse.newBuilder().setIndex(0).build());
          response.onError(Status.UNAVAILABLE.withDescription("after one message").asRuntimeException());
        }))
        .addMethod(SUM, ServerCalls.<TestRequest, TestResponse>asyncClientStreamingCall(response -> {
          int n = attempts.incrementAndGet();
          return new StreamObserver<TestRequest>() {
            int count;

            @Override
            public void onNext(TestRequest value) {
              count++;
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              if (n == 1) {
                response.onError(Status.UNAVAILABLE.withDescription("first attempt fails").asRuntimeException());
              } else {
                response.onNext(TestResponse.newBuilder().setRequestsReceived(count).setIndex(n).build());
                response.onCompleted();
              }
            }
          };
        }))
        .build();
    ServiceRegistry registry = new ServiceRegistry().addService(service);
    registry.intercept(new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        previous.add(String.valueOf(headers.get(RetryPolicy.PREVIOUS_ATTEMPTS_KEY_NAME)));
        return next.startCall(call, headers);
      }
    });
    server = InProcessServer.start("retry", registry);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static RetryPolicy policy(int attempts, Status.Code... codes) {
    return RetryPolicy.builder().maxAttempts(attempts).initialBackoff(Duration.ofMillis(5))
        .maxBackoff(Duration.ofMillis(20)).backoffMultiplier(2).retryableStatusCodes(codes).build();
  }

  private Channel channel(ServiceConfig config) {
    return config.applyTo(server.channel());
  }

  private static TestRequest failing(int times) {
    return TestRequest.newBuilder().setId(times).build();
  }

  @Test
  void aRetryableFailureIsMadeAgainUpToMaxAttemptsAndTheServerSeesWhichAttemptItIs() {
    Channel channel = channel(ServiceConfig.builder().retryPolicy("spoke.test.Retry/Flaky", policy(4, Status.Code.UNAVAILABLE)).build());
    TestResponse r = ClientCalls.blockingUnaryCall(channel, FLAKY, CallOptions.DEFAULT, failing(3));
    assertEquals(4, r.getIndex());
    assertEquals(List.of("null", "1", "2", "3"), previous);

    attempts.set(0);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, FLAKY, CallOptions.DEFAULT, failing(10)));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("attempt 4 fails", e.getStatus().getDescription(), "the last attempt's status ends the call");
    assertEquals(4, attempts.get());
  }

  @Test
  void onlyTheNamedCodesAreRetriedAndPushBackCanStopIt() {
    Channel channel = channel(ServiceConfig.builder().retryPolicy(policy(5, Status.Code.UNAVAILABLE)).build());
    StatusRuntimeException notRetryable = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, FLAKY, CallOptions.DEFAULT, failing(1).toBuilder().setFailCode(Status.Code.INTERNAL.value()).build()));
    assertEquals(Status.Code.INTERNAL, notRetryable.getStatus().getCode());
    assertEquals(1, attempts.get());

    attempts.set(0);
    StatusRuntimeException pushedBack = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, FLAKY, CallOptions.DEFAULT, failing(1).toBuilder().setFailMessage("-1").build()));
    assertEquals(Status.Code.UNAVAILABLE, pushedBack.getStatus().getCode());
    assertEquals(1, attempts.get(), "a negative push-back must stop the retries");

    attempts.set(0);
    long start = System.nanoTime();
    TestResponse waited = ClientCalls.blockingUnaryCall(channel, FLAKY, CallOptions.DEFAULT,
        failing(1).toBuilder().setFailMessage("300").build());
    assertEquals(2, waited.getIndex());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) >= 300, "the push-back was not honoured");
  }

  @Test
  void aCallIsNotRetriedOnceAResponseReachedTheCaller() throws Exception {
    Channel channel = channel(ServiceConfig.builder().retryPolicy(policy(5, Status.Code.UNAVAILABLE)).build());
    List<TestResponse> got = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Throwable> end = new CompletableFuture<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(STREAM, CallOptions.DEFAULT), failing(0), new StreamObserver<>() {
      @Override
      public void onNext(TestResponse value) {
        got.add(value);
      }

      @Override
      public void onError(Throwable t) {
        end.complete(t);
      }

      @Override
      public void onCompleted() {
        end.complete(null);
      }
    });
    Throwable t = end.get(30, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(t).getCode());
    assertEquals(1, got.size());
    assertEquals(1, attempts.get(), "a stream that delivered a message was made again");
  }

  @Test
  void aClientStreamIsReplayedWholeOnTheNextAttempt() throws Exception {
    Channel channel = channel(ServiceConfig.builder().retryPolicy(policy(3, Status.Code.UNAVAILABLE)).build());
    CompletableFuture<TestResponse> result = new CompletableFuture<>();
    StreamObserver<TestRequest> requests = ClientCalls.asyncClientStreamingCall(channel.newCall(SUM, CallOptions.DEFAULT),
        new StreamObserver<>() {
          @Override
          public void onNext(TestResponse value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    for (int i = 0; i < 40; i++) {
      requests.onNext(failing(i));
    }
    requests.onCompleted();
    TestResponse r = result.get(30, TimeUnit.SECONDS);
    assertEquals(40, r.getRequestsReceived());
    assertEquals(2, r.getIndex());
  }

  @Test
  void theDeadlineCoversEveryAttemptAndABackOffPastItIsNotTaken() {
    RetryPolicy slow = RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofSeconds(5))
        .maxBackoff(Duration.ofSeconds(5)).backoffMultiplier(1).retryableStatusCodes(Status.Code.UNAVAILABLE).build();
    Channel channel = channel(ServiceConfig.builder().retryPolicy(slow).build());
    long start = System.nanoTime();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(channel,
        FLAKY, CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS), failing(1).toBuilder().setFailMessage("1000").build()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(1, attempts.get());
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1000, "the call waited for a retry past its deadline");
  }

  @Test
  void aCallThatNeverRanIsMadeAgainWithoutAPolicyAndWithoutCountingAsAnAttempt() {
    // Below the retries: a channel whose first call fails as if its process had died before reading it.
    AtomicInteger made = new AtomicInteger();
    Channel flaky = new Channel() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
        if (made.incrementAndGet() == 1) {
          return new ForwardingClientCall<>() {
            @Override
            protected ClientCall<ReqT, RespT> delegate() {
              return server.channel().newCall(method, options);
            }

            @Override
            public void start(Listener<RespT> listener, Metadata headers) {
              listener.onClose(Status.UNAVAILABLE.withDescription("died before reading it"),
                  CallNotRun.mark(new Metadata(), CallNotRun.UNREAD));
            }

            @Override
            public void request(int n) {}

            @Override
            public void sendMessage(ReqT message) {}

            @Override
            public void halfClose() {}
          };
        }
        return server.channel().newCall(method, options);
      }

      @Override
      public String authority() {
        return "flaky";
      }
    };
    // No policy: only wait-for-ready calls are made again.
    Channel retrying = ServiceConfig.NONE.applyTo(flaky);
    TestResponse r = ClientCalls.blockingUnaryCall(retrying, FLAKY, CallOptions.DEFAULT.withWaitForReady(), failing(0));
    assertEquals(1, r.getIndex());
    assertEquals(2, made.get());
    made.set(0);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(retrying, FLAKY, CallOptions.DEFAULT, failing(0)));
    assertTrue(CallNotRun.isMarked(e), "a call that did not run lost its mark");
    assertEquals(1, made.get());
    // With a policy of two attempts, the transparent retry is not one of them.
    made.set(0);
    attempts.set(0);
    Channel withPolicy = ServiceConfig.builder().retryPolicy(policy(2, Status.Code.UNAVAILABLE)).build().applyTo(flaky);
    TestResponse r2 = ClientCalls.blockingUnaryCall(withPolicy, FLAKY, CallOptions.DEFAULT, failing(1));
    assertEquals(2, r2.getIndex());
    assertEquals(3, made.get());
  }

  @Test
  void cancellingBetweenAttemptsEndsTheCallAtOnce() throws Exception {
    RetryPolicy slow = RetryPolicy.builder().maxAttempts(5).initialBackoff(Duration.ofSeconds(20))
        .maxBackoff(Duration.ofSeconds(20)).backoffMultiplier(1).retryableStatusCodes(Status.Code.UNAVAILABLE).build();
    Channel channel = channel(ServiceConfig.builder().retryPolicy(slow).build());
    ClientCall<TestRequest, TestResponse> call = channel.newCall(FLAKY, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(1);
    call.sendMessage(failing(1).toBuilder().setFailMessage("20000").build());
    call.halfClose();
    dev.spoke.testing.Conditions.waitUntil("the first attempt failed", 30, () -> attempts.get() == 1);
    Thread.sleep(50); // most likely its close has reached the retrying call, which waits out the push-back
    long start = System.nanoTime();
    call.cancel("enough", null);
    Status s = closed.get(5, TimeUnit.SECONDS); // not the 20 s push-back
    assertEquals(Status.Code.CANCELLED, s.getCode());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 5);
    assertEquals(1, attempts.get());
  }

  @Test
  void aServiceConfigReadsGrpcsJsonShape() {
    ServiceConfig config = ServiceConfig.fromMap(Map.of("methodConfig", List.of(
        Map.of("name", List.of(Map.of("service", "spoke.test.Retry")),
            "waitForReady", true,
            "timeout", "1.5s",
            "retryPolicy", Map.of("maxAttempts", 4.0, "initialBackoff", "0.1s", "maxBackoff", "1s",
                "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE", 8.0))),
        Map.of("name", List.of(Map.of("service", "spoke.test.Retry", "method", "Stream")), "timeout", "3s"))));
    ServiceConfig.MethodConfig flaky = config.forMethod(FLAKY);
    assertEquals(4, flaky.retryPolicy().maxAttempts());
    assertEquals(Duration.ofMillis(100), flaky.retryPolicy().initialBackoff());
    assertEquals(java.util.Set.of(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED), flaky.retryPolicy().retryableStatusCodes());
    assertEquals(Boolean.TRUE, flaky.waitForReady());
    assertEquals(Duration.ofMillis(1500), flaky.timeout());
    assertEquals(Duration.ofSeconds(3), config.forMethod(STREAM).timeout());
    assertEquals(null, config.forMethod(STREAM).retryPolicy(), "the method's own entry replaces its service's");
    assertEquals(5, RetryPolicy.builder().maxAttempts(9).build().maxAttempts(), "gRPC's limit of 5 attempts");
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ServiceConfig.fromMap(Map.of(
        "methodConfig", List.of(Map.of("name", List.of(Map.of()), "retryPolicy", Map.of("maxAttempts", 3.0,
            "initialBackoff", "soon", "maxBackoff", "1s", "backoffMultiplier", 2.0, "retryableStatusCodes", List.of("UNAVAILABLE")))))));
    assertTrue(bad.getMessage().contains("initialBackoff"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(1).build());
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().retryableStatusCodes().build());
  }

  @Test
  void timeoutAndWaitForReadyOfTheConfigApplyToCalls() throws Exception {
    Channel channel = channel(ServiceConfig.builder().timeout("spoke.test.Retry", Duration.ofMillis(150)).build());
    // A client stream never half-closed: only the config's timeout ends it.
    CompletableFuture<Throwable> end = new CompletableFuture<>();
    ClientCalls.asyncClientStreamingCall(channel.newCall(SUM, CallOptions.DEFAULT), new StreamObserver<>() {
      @Override
      public void onNext(TestResponse value) {}

      @Override
      public void onError(Throwable t) {
        end.complete(t);
      }

      @Override
      public void onCompleted() {
        end.complete(null);
      }
    }).onNext(failing(0));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, Status.fromThrowable(end.get(30, TimeUnit.SECONDS)).getCode());
  }
}
