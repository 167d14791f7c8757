package dev.spoke.grpc.internal;

import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.protobuf.StatusProto;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where Spoke's statuses and metadata become gRPC's and back; every other class of the
 * bridge goes through here.
 *
 * <p>Statuses: the codes are the same numbers on both sides; the description travels; the cause is
 * local and kept. Metadata: the values of each key keep their order; keys that gRPC or HTTP/2 own
 * ({@code grpc-*}, {@code content-type}, {@code te}, {@code user-agent}) are the transport's and are
 * neither handed to Spoke code nor accepted from it, except the rich status in the trailers ({@value
 * StatusProto#DETAILS_KEY_NAME}), which passes both ways as it is. Keys and values follow the same rules
 * on both sides: text keys hold printable ASCII, and a key ending in {@code -bin} holds bytes, which
 * cross the bridge byte for byte.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcConversions {

  private static final Logger log = LoggerFactory.getLogger(GrpcConversions.class);

  /** Keys of the transport, never mapped either way. */
  private static final Set<String> TRANSPORT_KEYS = Set.of("content-type", "te", "user-agent", "content-length");
  private static final String RESERVED_PREFIX = "grpc-";

  private GrpcConversions() {}

  // ---------------------------------------------------------------------------------------------
  // Status

  /** The gRPC status of a Spoke one: same code, description and (local) cause. */
  public static io.grpc.Status toGrpc(Status status) {
    return io.grpc.Status.fromCodeValue(status.getCode().value())
        .withDescription(status.getDescription())
        .withCause(status.getCause());
  }

  /** The Spoke status of a gRPC one: same code, description and (local) cause. */
  public static Status fromGrpc(io.grpc.Status status) {
    return Status.fromCodeValue(status.getCode().value())
        .withDescription(status.getDescription())
        .withCause(status.getCause());
  }

  /**
   * The Spoke status a client call ended with. An {@code UNAVAILABLE} status, which gRPC makes when
   * it cannot reach the server ("io exception"), is told where the call went ({@code target}) and the
   * local reason (such as "Connection refused"), so that the message names the address.
   */
  public static Status fromGrpcForClient(io.grpc.Status status, String target) {
    Status s = fromGrpc(status);
    if (status.getCode() != io.grpc.Status.Code.UNAVAILABLE) {
      return s;
    }
    StringBuilder why = new StringBuilder(status.getDescription() != null ? status.getDescription() : "unavailable");
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null && !why.toString().contains(cause.getMessage())) {
      why.append(": ").append(cause.getMessage());
    }
    return s.withDescription(why.append(" (").append(target).append(')').toString());
  }

  // ---------------------------------------------------------------------------------------------
  // Metadata

  /**
   * gRPC metadata holding every entry of {@code headers} (may be null), in order, for request or
   * response headers.
   *
   * @throws IllegalArgumentException naming the key, if a key is reserved by gRPC
   */
  public static io.grpc.Metadata toGrpc(Metadata headers) {
    io.grpc.Metadata out = new io.grpc.Metadata();
    putAll(out, headers, false);
    return out;
  }

  /**
   * gRPC trailers holding every entry of {@code first} and then of {@code second} (either may be null):
   * as headers, and the rich status ({@value StatusProto#DETAILS_KEY_NAME}) passes as it is.
   *
   * @throws IllegalArgumentException naming the key, if a key is reserved by gRPC
   */
  public static io.grpc.Metadata toGrpcTrailers(Metadata first, Metadata second) {
    io.grpc.Metadata out = new io.grpc.Metadata();
    putAll(out, first, true);
    putAll(out, second, true);
    return out;
  }

  /** Adds every entry of {@code metadata} (may be null) to {@code target}; see {@link #toGrpc(Metadata)}. */
  public static void putAll(io.grpc.Metadata target, Metadata metadata) {
    putAll(target, metadata, false);
  }

  private static void putAll(io.grpc.Metadata target, Metadata metadata, boolean trailers) {
    if (metadata == null) {
      return;
    }
    for (int i = 0; i < metadata.size(); i++) {
      String key = metadata.keyAt(i);
      if (isTransportKey(key) && !(trailers && key.equals(StatusProto.DETAILS_KEY_NAME))) {
        throw new IllegalArgumentException("metadata key '" + key + "' is reserved by gRPC and cannot be sent over it");
      }
      if (metadata.isBinaryAt(i)) {
        // NOTE: the value is not copied: Metadata's values are not changed once put (bytesAt's contract).
        target.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER), metadata.bytesAt(i));
      } else {
        // Spoke checked the value when it was put: printable ASCII, as gRPC requires.
        target.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER), metadata.valueAt(i));
      }
    }
  }

  /** The Spoke metadata of gRPC request or response headers, without the transport's own keys. */
  public static Metadata fromGrpc(io.grpc.Metadata metadata) {
    return fromGrpc(metadata, false);
  }

  /**
   * The Spoke metadata of gRPC trailers, without the transport's own keys except the rich status
   * ({@value StatusProto#DETAILS_KEY_NAME}), which {@link StatusProto#fromStatusAndTrailers} reads.
   */
  public static Metadata fromGrpcTrailers(io.grpc.Metadata metadata) {
    return fromGrpc(metadata, true);
  }

  private static Metadata fromGrpc(io.grpc.Metadata metadata, boolean trailers) {
    Metadata out = new Metadata();
    if (metadata == null) {
      return out;
    }
    for (String key : metadata.keys()) {
      if (isTransportKey(key) && !(trailers && key.equals(StatusProto.DETAILS_KEY_NAME))) {
        continue;
      }
      try {
        if (key.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
          for (byte[] value : metadata.getAll(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER))) {
            out.putWire(key, value); // kept as bytes, byte for byte
          }
        } else {
          for (String value : metadata.getAll(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER))) {
            out.putWire(key, value.getBytes(StandardCharsets.US_ASCII));
          }
        }
      } catch (IllegalArgumentException e) {
        // gRPC's rules for keys and values are Spoke's; an entry only a lenient peer would send is dropped.
        log.debug("dropping metadata entry that Spoke cannot hold: {}", e.getMessage());
      }
    }
    return out;
  }

  private static boolean isTransportKey(String key) {
    return key.startsWith(RESERVED_PREFIX) || key.startsWith(":") || TRANSPORT_KEYS.contains(key);
  }
}
