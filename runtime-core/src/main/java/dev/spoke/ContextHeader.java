package dev.spoke;

import java.util.Objects;

/**
 * A {@link Context} value that travels with calls as a request header, across processes: the propagation
 * hook for a trace id, a tenant, a request id. Its {@link #clientInterceptor()} puts the value current
 * where a call starts into the call's headers; its {@link #serverInterceptor()} makes the value of the
 * header current while the handler runs, so it follows into the calls the handler makes, and on.
 *
 * <pre>{@code
 * static final Context.Key<String> TRACE_ID = Context.key("trace-id");
 * static final ContextHeader<String> TRACE =
 *     ContextHeader.of(TRACE_ID, Metadata.Key.of("x-trace-id", Metadata.ASCII_STRING_MARSHALLER));
 *
 * SpokeHost.builder().intercept(TRACE.serverInterceptor())            // the host's services
 * PluginSpec.java(...).intercept(TRACE.clientInterceptor())           // calls to a plugin
 * peer.intercept(TRACE.serverInterceptor());                          // in the plugin
 * peer.interceptHostChannel(TRACE.clientInterceptor());
 *
 * Context.current().withValue(TRACE_ID, "abc").run(() -> stub.call(request));
 * }</pre>
 *
 * <p>A call made where the key has no value sends no header; a call that arrives without the header
 * runs with the key unset. Immutable and thread-safe.
 *
 * @param <T> the value type
 */
public final class ContextHeader<T> {

  private final Context.Key<T> contextKey;
  private final Metadata.Key<T> header;
  private final ClientInterceptor client = new ClientInterceptor() {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
      T value = contextKey.get();
      ClientCall<ReqT, RespT> call = next.newCall(method, options);
      if (value == null) {
        return call;
      }
      return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          Metadata h = headers != null ? headers : new Metadata();
          h.discardAll(header);
          h.put(header, value);
          super.start(listener, h);
        }
      };
    }

    @Override
    public String toString() {
      return "ContextHeader(" + header.name() + ").clientInterceptor";
    }
  };
  private final ServerInterceptor server = new ServerInterceptor() {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      T value = headers.get(header);
      if (value == null) {
        return next.startCall(call, headers);
      }
      return Contexts.interceptCall(Context.current().withValue(contextKey, value), call, headers, next);
    }

    @Override
    public String toString() {
      return "ContextHeader(" + header.name() + ").serverInterceptor";
    }
  };

  private ContextHeader(Context.Key<T> contextKey, Metadata.Key<T> header) {
    this.contextKey = Objects.requireNonNull(contextKey, "contextKey");
    this.header = Objects.requireNonNull(header, "header");
  }

  /** Carries the value of {@code contextKey} in the request header {@code header}. */
  public static <T> ContextHeader<T> of(Context.Key<T> contextKey, Metadata.Key<T> header) {
    return new ContextHeader<>(contextKey, header);
  }

  /** Puts the current value into each call's request headers. */
  public ClientInterceptor clientInterceptor() {
    return client;
  }

  /** Makes the request header's value current for the handler of each call. */
  public ServerInterceptor serverInterceptor() {
    return server;
  }

  /** The context key. */
  public Context.Key<T> contextKey() {
    return contextKey;
  }

  /** The header. */
  public Metadata.Key<T> header() {
    return header;
  }
}
