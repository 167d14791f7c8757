package dev.spoke.examples.site;

import com.google.protobuf.MessageLite;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;

/**
 * A channel that counts what goes through it into a {@link CallStats}: every call, the size of every
 * message each way, and each call's latency from start to close. Stubs made from it are metered
 * without knowing it.
 *
 * <p>Thread-safe.
 */
final class MeteredChannel extends Channel {

  private final Channel delegate;
  private final CallStats stats;

  MeteredChannel(Channel delegate, CallStats stats) {
    this.delegate = delegate;
    this.stats = stats;
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    return new MeteredCall<>(delegate.newCall(method, options));
  }

  @Override
  public String authority() {
    return delegate.authority();
  }

  static int sizeOf(Object message) {
    return message instanceof MessageLite ? ((MessageLite) message).getSerializedSize() : 0;
  }

  private final class MeteredCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final ClientCall<ReqT, RespT> call;

    MeteredCall(ClientCall<ReqT, RespT> call) {
      this.call = call;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      long startNanos = System.nanoTime();
      stats.started();
      call.start(new Listener<>() {
        @Override
        public void onMessage(RespT message) {
          stats.received(sizeOf(message));
          listener.onMessage(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          stats.finished(System.nanoTime() - startNanos, status.getCode());
          listener.onClose(status, trailers);
        }

        @Override
        public void onReady() {
          listener.onReady();
        }
      }, headers);
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendMessage(ReqT message) {
      stats.sent(sizeOf(message));
      call.sendMessage(message);
    }

    @Override
    public void halfClose() {
      call.halfClose();
    }

    @Override
    public void cancel(String message, Throwable cause) {
      call.cancel(message, cause);
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }
  }
}
