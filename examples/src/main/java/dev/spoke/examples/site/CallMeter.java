package dev.spoke.examples.site;

import com.google.protobuf.MessageLite;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.ForwardingClientCall;
import dev.spoke.ForwardingClientCallListener;
import dev.spoke.ForwardingServerCall;
import dev.spoke.ForwardingServerCallListener;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.Status;

/**
 * Counts calls into a {@link CallStats}: every call, the size of every message each way, and each
 * call's latency from start to close. As a {@link ClientInterceptor} on a plugin's channel it meters
 * the host's calls to the plugin; as a {@link ServerInterceptor} on the host's services, the plugins'
 * calls back. Neither the stubs nor the services know it is there.
 *
 * <p>Thread-safe.
 */
final class CallMeter implements ClientInterceptor, ServerInterceptor {

  private final CallStats stats;

  CallMeter(CallStats stats) {
    this.stats = stats;
  }

  static int sizeOf(Object message) {
    return message instanceof MessageLite ? ((MessageLite) message).getSerializedSize() : 0;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
    return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<RespT> listener, Metadata headers) {
        long startNanos = System.nanoTime();
        stats.started();
        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
          @Override
          public void onMessage(RespT message) {
            stats.received(sizeOf(message));
            super.onMessage(message);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            stats.finished(System.nanoTime() - startNanos, status.getCode());
            super.onClose(status, trailers);
          }
        }, headers);
      }

      @Override
      public void sendMessage(ReqT message) {
        stats.sent(sizeOf(message));
        super.sendMessage(message);
      }
    };
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    long startNanos = System.nanoTime();
    stats.started();
    ServerCall<ReqT, RespT> metered = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      @Override
      public void sendMessage(RespT message) {
        stats.sent(sizeOf(message));
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        stats.finished(System.nanoTime() - startNanos, status.getCode());
        super.close(status, trailers);
      }
    };
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(metered, headers)) {
      @Override
      public void onMessage(ReqT message) {
        stats.received(sizeOf(message));
        super.onMessage(message);
      }
    };
  }
}
