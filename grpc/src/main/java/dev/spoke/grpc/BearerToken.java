package dev.spoke.grpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * A shared secret checked on every call, through gRPC-java's own hooks: the server requires it with an
 * interceptor ({@link #required}), the client sends it as call credentials ({@link #credentials}), in
 * the standard {@code authorization: Bearer <token>} header.
 *
 * <p>The token is a password: the client sends it only over TLS, or to a loopback address, where it
 * never leaves the machine; otherwise its calls fail with {@code UNAUTHENTICATED} before anything is
 * sent. The server compares in constant time and answers a missing or wrong token with {@code
 * UNAUTHENTICATED}, never saying which.
 *
 * <p>Stateless and thread-safe.
 */
public final class BearerToken {

  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PREFIX = "Bearer ";

  private BearerToken() {}

  /** A server interceptor that refuses every call without {@code token}. */
  public static ServerInterceptor required(String token) {
    byte[] expected = (PREFIX + check(token)).getBytes(StandardCharsets.US_ASCII);
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
          ServerCallHandler<ReqT, RespT> next) {
        String given = headers.get(AUTHORIZATION);
        byte[] bytes = given == null ? new byte[0] : given.getBytes(StandardCharsets.US_ASCII);
        if (!MessageDigest.isEqual(expected, bytes)) {
          call.close(Status.UNAUTHENTICATED.withDescription("a missing or wrong bearer token"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Call credentials that send {@code token}: over TLS, or to a loopback address only. */
  public static CallCredentials credentials(String token) {
    String header = PREFIX + check(token);
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
        if (info.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY && !isLoopback(info.getAuthority())) {
          applier.fail(Status.UNAUTHENTICATED.withDescription("refusing to send the bearer token to "
              + info.getAuthority() + " without TLS"));
          return;
        }
        Metadata m = new Metadata();
        m.put(AUTHORIZATION, header);
        applier.apply(m);
      }
    };
  }

  private static String check(String token) {
    Objects.requireNonNull(token, "token");
    if (token.isEmpty()) {
      throw new IllegalArgumentException("the bearer token is empty");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= 0x20 || c > 0x7e) {
        throw new IllegalArgumentException("the bearer token has a character that is not printable ASCII at " + i);
      }
    }
    return token;
  }

  /** True if {@code authority} (host or host:port) names this machine's loopback, without a DNS look-up. */
  static boolean isLoopback(String authority) {
    if (authority == null) {
      return false;
    }
    String host = authority;
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      host = end < 0 ? host : host.substring(1, end);
    } else if (host.indexOf(':') == host.lastIndexOf(':') && host.indexOf(':') >= 0) {
      host = host.substring(0, host.indexOf(':'));
    }
    if (host.equals("localhost")) {
      return true;
    }
    if (!host.isEmpty() && (Character.digit(host.charAt(0), 16) >= 0 || host.contains(":"))) {
      try {
        return literal(host) && InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** True for an IPv4 or IPv6 literal, which {@link InetAddress#getByName} parses without a look-up. */
  private static boolean literal(String host) {
    return host.matches("[0-9.]+") || host.matches("[0-9a-fA-F:.]+") && host.contains(":");
  }
}
