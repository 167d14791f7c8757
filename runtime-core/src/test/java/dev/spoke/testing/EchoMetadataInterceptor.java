package dev.spoke.testing;

import dev.spoke.ForwardingServerCall;
import dev.spoke.Metadata;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.Status;

/**
 * The server side of gRPC's interop case custom_metadata: the request header {@link #ECHO_INITIAL}
 * comes back as a response header, the binary request header {@link #ECHO_TRAILING} as a trailer, byte
 * for byte. (gRPC's interop server does this with an interceptor too.)
 */
public final class EchoMetadataInterceptor implements ServerInterceptor {

  public static final Metadata.Key<String> ECHO_INITIAL =
      Metadata.Key.of("x-grpc-test-echo-initial", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<byte[]> ECHO_TRAILING =
      Metadata.Key.of("x-grpc-test-echo-trailing-bin", Metadata.BINARY_BYTE_MARSHALLER);
  /** The values gRPC's interop client sends. */
  public static final String INITIAL_VALUE = "test_initial_metadata_value";
  public static final byte[] TRAILING_VALUE = {(byte) 0xab, (byte) 0xab, (byte) 0xab};

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata requestHeaders, ServerCallHandler<ReqT, RespT> next) {
    String initial = requestHeaders.get(ECHO_INITIAL);
    byte[] trailing = requestHeaders.get(ECHO_TRAILING);
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      private boolean headersSent;

      @Override
      public void sendHeaders(Metadata headers) {
        if (initial != null) {
          headers.put(ECHO_INITIAL, initial);
        }
        headersSent = true;
        super.sendHeaders(headers);
      }

      @Override
      public void sendMessage(RespT message) {
        if (!headersSent) {
          sendHeaders(new Metadata()); // the echo goes in the headers, before the first message
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        Metadata t = trailers != null ? trailers : new Metadata();
        if (trailing != null) {
          t.put(ECHO_TRAILING, trailing);
        }
        super.close(status, t);
      }
    }, requestHeaders);
  }
}
