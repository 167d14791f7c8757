package dev.spoke;

/**
 * Intercepts the calls a channel starts, as in gRPC-java: to add headers, read response headers and
 * trailers, log, measure, or refuse a call. Install with {@link ClientInterceptors#intercept}, a stub's
 * {@code withInterceptors}, or where a channel is made (a plugin's spec, a plugin's host channel).
 *
 * <pre>{@code
 * ClientInterceptor addTenant = new ClientInterceptor() {
 *   public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
 *       MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
 *     return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
 *       public void start(Listener<RespT> listener, Metadata headers) {
 *         headers.put(TENANT, "t1");
 *         super.start(listener, headers);
 *       }
 *     };
 *   }
 * };
 * }</pre>
 *
 * <p>An interceptor that throws from {@code interceptCall} fails that call only, with the exception's
 * status ({@code UNKNOWN} unless it is a status exception) naming the interceptor. Implementations must
 * be thread-safe: one interceptor sees every call of its channel.
 */
@FunctionalInterface
public interface ClientInterceptor {
  /**
   * Returns the call for {@code method}: usually {@code next.newCall(method, options)}, wrapped in a
   * {@link ForwardingClientCall}. Runs on the thread that starts the call, with its {@link Context}
   * current.
   */
  <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next);
}
