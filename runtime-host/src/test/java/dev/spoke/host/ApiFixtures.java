package dev.spoke.host;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.Context;
import dev.spoke.ContextHeader;
import dev.spoke.ForwardingClientCall;
import dev.spoke.ForwardingServerCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.RetryPolicy;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.Status;
import java.util.concurrent.atomic.AtomicInteger;

/** The interceptors and keys the host and the plugin of the cross-process API tests share. */
final class ApiFixtures {

  private ApiFixtures() {}

  static final Context.Key<String> TRACE_ID = Context.key("trace-id");
  static final ContextHeader<String> TRACE =
      ContextHeader.of(TRACE_ID, Metadata.Key.of("x-trace-id", Metadata.ASCII_STRING_MARSHALLER));
  /** Added by the host's client interceptor. */
  static final Metadata.Key<String> FROM_HOST = Metadata.Key.of("x-from-host", Metadata.ASCII_STRING_MARSHALLER);
  /** Added by the plugin's client interceptor: its name. */
  static final Metadata.Key<String> FROM_PLUGIN = Metadata.Key.of("x-from-plugin", Metadata.ASCII_STRING_MARSHALLER);
  /** A response header of the plugin: the x-from-host it saw. */
  static final Metadata.Key<String> PLUGIN_SAW = Metadata.Key.of("x-plugin-saw", Metadata.ASCII_STRING_MARSHALLER);
  /** A response header of the plugin: calls its server interceptor counted so far. */
  static final Metadata.Key<String> PLUGIN_CALLS = Metadata.Key.of("x-plugin-calls", Metadata.ASCII_STRING_MARSHALLER);
  /** A response header of the plugin: the retry header of the attempt, or "none". */
  static final Metadata.Key<String> ATTEMPT = Metadata.Key.of("x-previous-attempts", Metadata.ASCII_STRING_MARSHALLER);

  /**
   * The plugin's server interceptor: counts calls, and answers each with response headers saying what
   * it saw (sent before the first message, or with the status when there is none).
   */
  static ServerInterceptor pluginServer() {
    AtomicInteger calls = new AtomicInteger();
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        int n = calls.incrementAndGet();
        String saw = String.valueOf(headers.get(FROM_HOST));
        String attempt = String.valueOf(headers.get(RetryPolicy.PREVIOUS_ATTEMPTS_KEY_NAME));
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          private boolean sent;

          @Override
          public void sendHeaders(Metadata h) {
            sent = true;
            h.put(PLUGIN_SAW, saw);
            h.put(PLUGIN_CALLS, Integer.toString(n));
            h.put(ATTEMPT, attempt);
            super.sendHeaders(h);
          }

          @Override
          public void sendMessage(RespT message) {
            if (!sent) {
              sendHeaders(new Metadata());
            }
            super.sendMessage(message);
          }

          @Override
          public void close(Status status, Metadata trailers) {
            if (!sent) {
              sendHeaders(new Metadata());
            }
            super.close(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** The plugin's client interceptor: every call it makes to the host says who makes it. */
  static ClientInterceptor pluginClient(String name) {
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headers.put(FROM_PLUGIN, name);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
