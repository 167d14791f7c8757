package dev.spoke.protobuf;

import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.StatusRuntimeException;
import java.util.Objects;

/**
 * Rich errors, as gRPC-java's {@code StatusProto} carries them: a {@link com.google.rpc.Status} (code,
 * message, and details such as {@code ErrorInfo}, {@code RetryInfo}, {@code BadRequest} packed in
 * {@code Any}s) travels in the binary trailer {@value #DETAILS_KEY_NAME}, next to the call's own status.
 *
 * <pre>{@code
 * // server
 * throw StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
 *     .setCode(Code.INVALID_ARGUMENT.getNumber())
 *     .setMessage("width must be positive")
 *     .addDetails(Any.pack(BadRequest.newBuilder()...build()))
 *     .build());
 * // client
 * com.google.rpc.Status details = StatusProto.fromThrowable(e);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class StatusProto {

  /** The name of the trailer that carries the details. */
  public static final String DETAILS_KEY_NAME = "grpc-status-details-bin";

  /** The trailer that carries the details. */
  public static final Metadata.Key<com.google.rpc.Status> DETAILS_KEY =
      Metadata.Key.of(DETAILS_KEY_NAME, ProtoMarshallers.metadataMarshaller(com.google.rpc.Status.getDefaultInstance()));

  private StatusProto() {}

  /**
   * An exception with {@code statusProto}'s code and message as its status, and the whole proto in
   * its trailers.
   *
   * @throws IllegalArgumentException if the proto's code is not one of gRPC's
   */
  public static StatusRuntimeException toStatusRuntimeException(com.google.rpc.Status statusProto) {
    return toStatus(statusProto).asRuntimeException(toMetadata(statusProto, new Metadata()));
  }

  /** As {@link #toStatusRuntimeException(com.google.rpc.Status)}, with {@code metadata}'s entries in the trailers too. */
  public static StatusRuntimeException toStatusRuntimeException(com.google.rpc.Status statusProto, Metadata metadata) {
    return toStatus(statusProto).asRuntimeException(toMetadata(statusProto, copy(metadata)));
  }

  /** The checked form of {@link #toStatusRuntimeException(com.google.rpc.Status)}. */
  public static StatusException toStatusException(com.google.rpc.Status statusProto) {
    return toStatus(statusProto).asException(toMetadata(statusProto, new Metadata()));
  }

  /** The checked form of {@link #toStatusRuntimeException(com.google.rpc.Status, Metadata)}. */
  public static StatusException toStatusException(com.google.rpc.Status statusProto, Metadata metadata) {
    return toStatus(statusProto).asException(toMetadata(statusProto, copy(metadata)));
  }

  /**
   * The rich status of the first status exception in {@code t}'s cause chain: from its trailers, or
   * built from its status when the trailers carry none; null when there is no status exception.
   *
   * @throws IllegalArgumentException if the trailer does not parse or its code differs from the status's
   */
  public static com.google.rpc.Status fromThrowable(Throwable t) {
    for (Throwable c = Objects.requireNonNull(t, "t"); c != null; c = c.getCause()) {
      if (c instanceof StatusException) {
        return fromStatusAndTrailers(((StatusException) c).getStatus(), ((StatusException) c).getTrailers());
      }
      if (c instanceof StatusRuntimeException) {
        return fromStatusAndTrailers(((StatusRuntimeException) c).getStatus(), ((StatusRuntimeException) c).getTrailers());
      }
    }
    return null;
  }

  /**
   * The rich status a call ended with: from {@code trailers} when they carry one, otherwise built from
   * {@code status} (code and description, no details).
   *
   * @throws IllegalArgumentException if the trailer does not parse or its code differs from the status's
   */
  public static com.google.rpc.Status fromStatusAndTrailers(Status status, Metadata trailers) {
    Objects.requireNonNull(status, "status");
    if (trailers != null) {
      com.google.rpc.Status proto = trailers.get(DETAILS_KEY);
      if (proto != null) {
        if (proto.getCode() != status.getCode().value()) {
          throw new IllegalArgumentException("the " + DETAILS_KEY_NAME + " trailer says code " + proto.getCode()
              + " but the call ended with " + status.getCode() + " (" + status.getCode().value() + ")");
        }
        return proto;
      }
    }
    com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder().setCode(status.getCode().value());
    if (status.getDescription() != null) {
      b.setMessage(status.getDescription());
    }
    return b.build();
  }

  private static Status toStatus(com.google.rpc.Status statusProto) {
    Objects.requireNonNull(statusProto, "statusProto");
    Status status = Status.fromCodeValue(statusProto.getCode());
    if (status.getCode().value() != statusProto.getCode()) {
      throw new IllegalArgumentException("google.rpc.Status code " + statusProto.getCode() + " is not a status code");
    }
    return statusProto.getMessage().isEmpty() ? status : status.withDescription(statusProto.getMessage());
  }

  private static Metadata toMetadata(com.google.rpc.Status statusProto, Metadata metadata) {
    metadata.discardAll(DETAILS_KEY);
    metadata.put(DETAILS_KEY, statusProto);
    return metadata;
  }

  private static Metadata copy(Metadata metadata) {
    return new Metadata().merge(Objects.requireNonNull(metadata, "metadata"));
  }
}
