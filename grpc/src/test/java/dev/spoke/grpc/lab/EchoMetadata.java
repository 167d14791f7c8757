package dev.spoke.grpc.lab;

import dev.spoke.ForwardingServerCall;
import dev.spoke.Metadata;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.Status;

/**
 * What gRPC's interop test {@code custom_metadata} asks of a server, as a Spoke interceptor: the value
 * of the request header {@value #INITIAL_NAME} comes back as a response header, and the bytes of
 * {@value #TRAILING_NAME} come back as a trailer. Installed in front of the Lab wherever it is served.
 *
 * <p>Stateless and thread-safe.
 */
public final class EchoMetadata implements ServerInterceptor {

  /** The name of the header echoed as a response header. */
  public static final String INITIAL_NAME = "x-grpc-test-echo-initial";
  /** The name of the binary header echoed as a trailer. */
  public static final String TRAILING_NAME = "x-grpc-test-echo-trailing-bin";
  /** The header echoed as a response header. */
  public static final Metadata.Key<String> INITIAL = Metadata.Key.of(INITIAL_NAME, Metadata.ASCII_STRING_MARSHALLER);
  /** The binary header echoed as a trailer. */
  public static final Metadata.Key<byte[]> TRAILING = Metadata.Key.of(TRAILING_NAME, Metadata.BINARY_BYTE_MARSHALLER);

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    String initial = headers.get(INITIAL);
    byte[] trailing = headers.get(TRAILING);
    if (initial == null && trailing == null) {
      return next.startCall(call, headers);
    }
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      private boolean headersSent;

      @Override
      public void sendHeaders(Metadata responseHeaders) {
        if (initial != null) {
          responseHeaders.put(INITIAL, initial);
        }
        headersSent = true;
        super.sendHeaders(responseHeaders);
      }

      @Override
      public void sendMessage(RespT message) {
        if (!headersSent && initial != null) {
          sendHeaders(new Metadata());
        }
        super.sendMessage(message);
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!headersSent && initial != null) {
          sendHeaders(new Metadata());
        }
        Metadata out = trailers != null ? trailers : new Metadata();
        if (trailing != null) {
          out.put(TRAILING, trailing);
        }
        super.close(status, out);
      }
    }, headers);
  }
}
