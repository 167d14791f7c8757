package dev.spoke.grpc.internal;

import dev.spoke.Metadata;
import dev.spoke.Status;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The one place where Spoke's statuses and metadata become gRPC's and back; every other class of the
 * bridge goes through here, so that a richer mapping (binary values, response headers, error details)
 * changes this class alone.
 *
 * <p>Statuses: the codes are the same numbers on both sides; the description travels; the cause is
 * local and kept. Metadata: entries keep their order and their keys; keys that gRPC or HTTP/2 own
 * ({@code grpc-*}, {@code content-type}, {@code te}, {@code user-agent}) are the transport's and are
 * neither handed to Spoke code nor accepted from it. Values of text keys must be printable ASCII, as
 * gRPC requires. A key ending in {@code -bin} is binary in gRPC: a Spoke value of such a key stands for
 * its bytes one character per byte (ISO-8859-1), so binary values cross the bridge byte for byte.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcConversions {

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
   * gRPC metadata holding every entry of {@code metadata} (may be null), in order.
   *
   * @throws IllegalArgumentException naming the key, if a key is reserved by gRPC or a text value is
   *     not printable ASCII
   */
  public static io.grpc.Metadata toGrpc(Metadata metadata) {
    io.grpc.Metadata out = new io.grpc.Metadata();
    putAll(out, metadata);
    return out;
  }

  /** Adds every entry of {@code metadata} (may be null) to {@code target}; see {@link #toGrpc(Metadata)}. */
  public static void putAll(io.grpc.Metadata target, Metadata metadata) {
    if (metadata == null) {
      return;
    }
    for (int i = 0; i < metadata.size(); i++) {
      String key = metadata.keyAt(i);
      String value = metadata.valueAt(i);
      if (key.startsWith(RESERVED_PREFIX) || TRANSPORT_KEYS.contains(key)) {
        throw new IllegalArgumentException("metadata key '" + key + "' is reserved by gRPC and cannot be sent over it");
      }
      if (key.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
        target.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER), latin1(key, value));
      } else {
        checkAscii(key, value);
        target.put(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
  }

  /** The Spoke metadata of gRPC {@code metadata}, without the transport's own keys. */
  public static Metadata fromGrpc(io.grpc.Metadata metadata) {
    Metadata out = new Metadata();
    if (metadata == null) {
      return out;
    }
    for (String key : metadata.keys()) {
      if (key.startsWith(RESERVED_PREFIX) || key.startsWith(":") || TRANSPORT_KEYS.contains(key)) {
        continue;
      }
      if (key.endsWith(io.grpc.Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] value : metadata.getAll(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.BINARY_BYTE_MARSHALLER))) {
          out.put(key, new String(value, StandardCharsets.ISO_8859_1));
        }
      } else {
        for (String value : metadata.getAll(io.grpc.Metadata.Key.of(key, io.grpc.Metadata.ASCII_STRING_MARSHALLER))) {
          out.put(key, value);
        }
      }
    }
    return out;
  }

  private static void checkAscii(String key, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw new IllegalArgumentException("the value of metadata key '" + key + "' has " + describe(c) + " at " + i
            + "; gRPC carries only printable ASCII in text keys (end the key with -bin for bytes)");
      }
    }
  }

  private static byte[] latin1(String key, String value) {
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) > 0xff) {
        throw new IllegalArgumentException("the value of binary metadata key '" + key + "' has " + describe(value.charAt(i))
            + " at " + i + "; each character of a -bin value stands for one byte (0-255)");
      }
    }
    return value.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String describe(char c) {
    return String.format("U+%04X", (int) c);
  }
}
