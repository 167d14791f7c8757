package dev.spoke.testing;

import com.google.protobuf.ByteString;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.ServerCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Services that some call-layer tests serve besides {@link TestService}, named so that a server in
 * another process can bind the very same code: a test asks its {@link ServerSide} to serve one, in
 * whatever process the server runs.
 *
 * <p>Handlers that call back use the channel of the connection that delivered their call (the other
 * side), unless a channel is given.
 */
public enum ServerFixture {

  /**
   * {@link #RELAY} on the default executor: starts a call back to the other side's {@code
   * TestService} that blocks until cancelled and has no deadline of its own, and never answers: the
   * outer call's deadline and cancellation must reach the nested call.
   */
  NESTED_RELAY("spoke.test.Relay", null),

  /**
   * {@link #RELAY} on a direct executor: calls the other side's {@code TestService} back, blocking,
   * with the request's id + 1, and answers with what came back.
   */
  DIRECT_RELAY("spoke.test.Relay", DirectExecutor.INSTANCE),

  /**
   * {@link #RELAY} on a direct executor, for re-entrant chains when both sides serve it: while the
   * request's {@code response_count} is above 0, calls the other side's relay with one less, blocking,
   * and answers with what came back, {@code index} one higher; at 0 answers the request's id.
   */
  HOP("spoke.test.Relay", DirectExecutor.INSTANCE),

  /** {@link #THROW}: throws PERMISSION_DENIED "not you" with the trailer {@code reason: acl}. */
  THROWER("spoke.test.Thrower", null),

  /** {@link #DIRECT_ECHO} on a direct executor: answers the request's id, with its thread's name as payload. */
  DIRECT_ECHO("spoke.test.Direct", DirectExecutor.INSTANCE);

  /** The relays' method. */
  public static final MethodDescriptor<TestRequest, TestResponse> RELAY = unary("spoke.test.Relay/Relay");
  /** The thrower's method. */
  public static final MethodDescriptor<TestRequest, TestResponse> THROW = unary("spoke.test.Thrower/Throw");
  /** The direct echo's method. */
  public static final MethodDescriptor<TestRequest, TestResponse> ECHO = unary("spoke.test.Direct/Echo");

  /** How long a call a fixture makes back may take. */
  private static final long CALL_BACK_SECONDS = 30;

  private final String serviceName;
  private final Executor executor;

  ServerFixture(String serviceName, Executor executor) {
    this.serviceName = serviceName;
    this.executor = executor;
  }

  private static MethodDescriptor<TestRequest, TestResponse> unary(String fullName) {
    return MethodDescriptor.newBuilder(TestService.UNARY.getRequestMarshaller(), TestService.UNARY.getResponseMarshaller())
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(fullName).build();
  }

  /** Binds this fixture on {@code registry}; its calls back go to the other side of each call's connection. */
  public void bindTo(ServiceRegistry registry) {
    bindTo(registry, () -> Connection.ofCurrentCall().channel());
  }

  /** Binds this fixture on {@code registry}; its calls back go to {@code back}. */
  public void bindTo(ServiceRegistry registry, Supplier<Channel> back) {
    registry.addService(definition(back), executor);
  }

  private ServerServiceDefinition definition(Supplier<Channel> back) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(serviceName);
    switch (this) {
      case NESTED_RELAY:
        return b.addMethod(RELAY, ServerCalls.asyncUnaryCall((req, obs) ->
            ClientCalls.futureUnaryCall(back.get().newCall(TestService.UNARY, CallOptions.DEFAULT),
                TestRequest.newBuilder().setId(9).setBlockUntilCancelled(true).build()))).build();
      case DIRECT_RELAY:
        return b.addMethod(RELAY, ServerCalls.asyncUnaryCall((req, obs) -> {
          TestResponse answer = ClientCalls.blockingUnaryCall(back.get(), TestService.UNARY,
              CallOptions.DEFAULT.withDeadlineAfter(CALL_BACK_SECONDS, TimeUnit.SECONDS),
              TestRequest.newBuilder().setId(req.getId() + 1).build());
          obs.onNext(answer);
          obs.onCompleted();
        })).build();
      case HOP:
        return b.addMethod(RELAY, ServerCalls.asyncUnaryCall((req, obs) -> {
          if (req.getResponseCount() <= 0) {
            obs.onNext(TestResponse.newBuilder().setId(req.getId()).build());
          } else {
            TestResponse deeper = ClientCalls.blockingUnaryCall(back.get(), RELAY,
                CallOptions.DEFAULT.withDeadlineAfter(CALL_BACK_SECONDS, TimeUnit.SECONDS),
                req.toBuilder().setResponseCount(req.getResponseCount() - 1).build());
            obs.onNext(deeper.toBuilder().setIndex(deeper.getIndex() + 1).build());
          }
          obs.onCompleted();
        })).build();
      case THROWER:
        return b.addMethod(THROW, ServerCalls.asyncUnaryCall((req, obs) -> {
          throw Status.PERMISSION_DENIED.withDescription("not you").asRuntimeException(Metadata.of("reason", "acl"));
        })).build();
      case DIRECT_ECHO:
        return b.addMethod(ECHO, ServerCalls.asyncUnaryCall((req, obs) -> {
          obs.onNext(TestResponse.newBuilder().setId(req.getId())
              .setPayload(ByteString.copyFromUtf8(Thread.currentThread().getName())).build());
          obs.onCompleted();
        })).build();
      default:
        throw new AssertionError(this);
    }
  }
}
