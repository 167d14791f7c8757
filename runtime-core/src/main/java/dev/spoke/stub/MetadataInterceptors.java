package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.ForwardingClientCall;
import dev.spoke.ForwardingClientCallListener;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Client interceptors for metadata, as gRPC-java's {@code MetadataUtils} has them (same method names):
 * how code that uses stubs and stream observers sends extra headers and reads the response headers and
 * trailers.
 *
 * <pre>{@code
 * AtomicReference<Metadata> headers = new AtomicReference<>();
 * AtomicReference<Metadata> trailers = new AtomicReference<>();
 * stub.withInterceptors(MetadataInterceptors.newCaptureMetadataInterceptor(headers, trailers))
 *     .unary(request, responseObserver);   // headers.get() once the response arrived
 * }</pre>
 */
public final class MetadataInterceptors {

  private MetadataInterceptors() {}

  /** An interceptor that adds every entry of {@code extraHeaders} to each call's request headers. */
  public static ClientInterceptor newAttachHeadersInterceptor(Metadata extraHeaders) {
    Objects.requireNonNull(extraHeaders, "extraHeaders");
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headers.merge(extraHeaders);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  /**
   * An interceptor that stores each call's response headers in {@code headersCapture} (when the server
   * sent any) and its trailers in {@code trailersCapture}, before the call's response observer hears of
   * them. Both are cleared when a call starts.
   */
  public static ClientInterceptor newCaptureMetadataInterceptor(
      AtomicReference<Metadata> headersCapture, AtomicReference<Metadata> trailersCapture) {
    Objects.requireNonNull(headersCapture, "headersCapture");
    Objects.requireNonNull(trailersCapture, "trailersCapture");
    return new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headersCapture.set(null);
            trailersCapture.set(null);
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata responseHeaders) {
                headersCapture.set(responseHeaders);
                super.onHeaders(responseHeaders);
              }

              @Override
              public void onClose(Status status, Metadata trailers) {
                trailersCapture.set(trailers);
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    };
  }
}
