package dev.spoke;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Wraps services in {@link ServerInterceptor}s, in gRPC-java's order: with {@code intercept(service, a,
 * b)}, {@code b} sees each call first and {@code a} last, just before the service; {@link
 * #interceptForward} is the other way round. Interceptors installed where services are served (a host,
 * a plugin, an in-process server) see each call before these.
 */
public final class ServerInterceptors {

  private ServerInterceptors() {}

  /** {@code service} with {@code interceptors}; the last one sees each call first. */
  public static ServerServiceDefinition intercept(ServerServiceDefinition service, ServerInterceptor... interceptors) {
    return intercept(service, Arrays.asList(interceptors));
  }

  /** {@code service} with {@code interceptors}; the last one sees each call first. */
  public static ServerServiceDefinition intercept(BindableService service, ServerInterceptor... interceptors) {
    return intercept(service.bindService(), Arrays.asList(interceptors));
  }

  /** {@code service} with {@code interceptors}; the last one sees each call first. */
  public static ServerServiceDefinition intercept(
      ServerServiceDefinition service, List<? extends ServerInterceptor> interceptors) {
    Objects.requireNonNull(service, "service");
    if (interceptors.isEmpty()) {
      return service;
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(intercept(m, interceptors));
    }
    return b.build();
  }

  /** {@code service} with {@code interceptors}; the first one sees each call first. */
  public static ServerServiceDefinition interceptForward(ServerServiceDefinition service, ServerInterceptor... interceptors) {
    return interceptForward(service, Arrays.asList(interceptors));
  }

  /** {@code service} with {@code interceptors}; the first one sees each call first. */
  public static ServerServiceDefinition interceptForward(BindableService service, ServerInterceptor... interceptors) {
    return interceptForward(service.bindService(), Arrays.asList(interceptors));
  }

  /** {@code service} with {@code interceptors}; the first one sees each call first. */
  public static ServerServiceDefinition interceptForward(
      ServerServiceDefinition service, List<? extends ServerInterceptor> interceptors) {
    List<ServerInterceptor> reversed = new ArrayList<>(interceptors);
    Collections.reverse(reversed);
    return intercept(service, reversed);
  }

  /** {@code method} with {@code interceptors}; the last one sees each call first. */
  public static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> intercept(
      ServerMethodDefinition<ReqT, RespT> method, List<? extends ServerInterceptor> interceptors) {
    ServerCallHandler<ReqT, RespT> handler = method.getServerCallHandler();
    for (ServerInterceptor interceptor : interceptors) {
      handler = new InterceptedHandler<>(Objects.requireNonNull(interceptor, "interceptor"), handler);
    }
    return handler == method.getServerCallHandler() ? method
        : ServerMethodDefinition.create(method.getMethodDescriptor(), handler);
  }

  private static final class InterceptedHandler<ReqT, RespT> implements ServerCallHandler<ReqT, RespT> {
    private final ServerInterceptor interceptor;
    private final ServerCallHandler<ReqT, RespT> next;

    InterceptedHandler(ServerInterceptor interceptor, ServerCallHandler<ReqT, RespT> next) {
      this.interceptor = interceptor;
      this.next = next;
    }

    @Override
    public ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call, Metadata headers) {
      return Objects.requireNonNull(interceptor.interceptCall(call, headers, next),
          () -> "server interceptor " + interceptor.getClass().getName() + " returned no listener");
    }

    @Override
    public String toString() {
      return interceptor.getClass().getName() + " → " + next;
    }
  }
}
