package dev.spoke;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Describes one rpc: its full name {@code package.Service/Method}, its {@link MethodType}, and the
 * marshallers of its request and response. The wire identifies a method by {@link #getMethodId()}, a
 * stable 32-bit hash of the full name, so no name travels with a call.
 *
 * <p>Immutable and thread-safe. Generated code builds one per rpc, lazily.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public final class MethodDescriptor<ReqT, RespT> {

  /** The four shapes of a call. */
  public enum MethodType {
    /** One request, one response. */
    UNARY,
    /** One request, a stream of responses. */
    SERVER_STREAMING,
    /** A stream of requests, one response. */
    CLIENT_STREAMING,
    /** Streams both ways. */
    BIDI_STREAMING;

    /** True if the client sends exactly one message. */
    public boolean clientSendsOneMessage() {
      return this == UNARY || this == SERVER_STREAMING;
    }

    /** True if the server sends exactly one message. */
    public boolean serverSendsOneMessage() {
      return this == UNARY || this == CLIENT_STREAMING;
    }
  }

  private final MethodType type;
  private final String fullMethodName;
  private final String serviceName;
  private final int methodId;
  private final Marshaller<ReqT> requestMarshaller;
  private final Marshaller<RespT> responseMarshaller;

  private MethodDescriptor(Builder<ReqT, RespT> b) {
    this.type = Objects.requireNonNull(b.type, "type");
    this.fullMethodName = Objects.requireNonNull(b.fullMethodName, "fullMethodName");
    this.serviceName = extractFullServiceName(fullMethodName);
    if (serviceName == null) {
      throw new IllegalArgumentException(
          "full method name '" + fullMethodName + "' is not of the form package.Service/Method");
    }
    this.methodId = methodIdOf(fullMethodName);
    this.requestMarshaller = Objects.requireNonNull(b.requestMarshaller, "requestMarshaller");
    this.responseMarshaller = Objects.requireNonNull(b.responseMarshaller, "responseMarshaller");
  }

  /** A builder with no marshallers yet. */
  public static <ReqT, RespT> Builder<ReqT, RespT> newBuilder() {
    return new Builder<>();
  }

  /** A builder with the request's and the response's marshallers. */
  public static <ReqT, RespT> Builder<ReqT, RespT> newBuilder(
      Marshaller<ReqT> requestMarshaller, Marshaller<RespT> responseMarshaller) {
    return new Builder<ReqT, RespT>()
        .setRequestMarshaller(requestMarshaller)
        .setResponseMarshaller(responseMarshaller);
  }

  /** {@code fullServiceName + "/" + methodName}. */
  public static String generateFullMethodName(String fullServiceName, String methodName) {
    return fullServiceName + "/" + methodName;
  }

  /** The service part of a full method name, or null if the name has no '/'. */
  public static String extractFullServiceName(String fullMethodName) {
    int slash = fullMethodName.lastIndexOf('/');
    return slash <= 0 || slash == fullMethodName.length() - 1 ? null : fullMethodName.substring(0, slash);
  }

  /**
   * The method id of a full method name: 32-bit FNV-1a over its UTF-8 bytes. Stable across versions
   * and processes; documented in docs/PROTOCOL.md so other implementations can compute it.
   */
  public static int methodIdOf(String fullMethodName) {
    int hash = 0x811c9dc5;
    for (byte b : fullMethodName.getBytes(StandardCharsets.UTF_8)) {
      hash ^= (b & 0xff);
      hash *= 0x01000193;
    }
    return hash;
  }

  /** Unary, or which way it streams. */
  public MethodType getType() {
    return type;
  }

  /** {@code package.Service/Method}, as calls name the method. */
  public String getFullMethodName() {
    return fullMethodName;
  }

  /** {@code package.Service}. */
  public String getServiceName() {
    return serviceName;
  }

  /** The part of the full name after the '/'. */
  public String getBareMethodName() {
    return fullMethodName.substring(serviceName.length() + 1);
  }

  /** The 32-bit id that identifies this method on the wire. */
  public int getMethodId() {
    return methodId;
  }

  /** How requests are written and read. */
  public Marshaller<ReqT> getRequestMarshaller() {
    return requestMarshaller;
  }

  /** How responses are written and read. */
  public Marshaller<RespT> getResponseMarshaller() {
    return responseMarshaller;
  }

  @Override
  public String toString() {
    return fullMethodName + " (" + type + ", id 0x" + Integer.toHexString(methodId) + ")";
  }

  /** Builds a {@link MethodDescriptor}. Not thread-safe. */
  public static final class Builder<ReqT, RespT> {
    private MethodType type;
    private String fullMethodName;
    private Marshaller<ReqT> requestMarshaller;
    private Marshaller<RespT> responseMarshaller;

    private Builder() {}

    /** The method's type; required. */
    public Builder<ReqT, RespT> setType(MethodType type) {
      this.type = type;
      return this;
    }

    /** The method's full name ({@link MethodDescriptor#generateFullMethodName}); required. */
    public Builder<ReqT, RespT> setFullMethodName(String fullMethodName) {
      this.fullMethodName = fullMethodName;
      return this;
    }

    /** How requests are written and read; required. */
    public Builder<ReqT, RespT> setRequestMarshaller(Marshaller<ReqT> marshaller) {
      this.requestMarshaller = marshaller;
      return this;
    }

    /** How responses are written and read; required. */
    public Builder<ReqT, RespT> setResponseMarshaller(Marshaller<RespT> marshaller) {
      this.responseMarshaller = marshaller;
      return this;
    }

    /** The descriptor. */
    public MethodDescriptor<ReqT, RespT> build() {
      return new MethodDescriptor<>(this);
    }
  }
}
