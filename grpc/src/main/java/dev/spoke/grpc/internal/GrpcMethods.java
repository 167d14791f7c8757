package dev.spoke.grpc.internal;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import dev.spoke.Marshaller;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceDescriptor;
import dev.spoke.protobuf.ProtoMarshallers;
import io.grpc.KnownLength;
import io.grpc.protobuf.ProtoMethodDescriptorSupplier;
import io.grpc.protobuf.lite.ProtoLiteUtils;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Spoke method descriptors as gRPC's: the same full name and type, and for protobuf messages gRPC's own
 * protobuf marshallers ({@code ProtoUtils}), so the bytes on the wire are exactly what a gRPC stub
 * generated from the same {@code .proto} sends and expects. A method whose messages are not protobuf
 * gets its Spoke marshaller wrapped. With the {@code .proto}'s descriptors at hand, methods carry them
 * as gRPC's schema descriptors, so server reflection can describe the services.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcMethods {

  private GrpcMethods() {}

  /** The gRPC descriptor of {@code method}; {@code service} (may be null) supplies the protobuf schema. */
  public static <ReqT, RespT> io.grpc.MethodDescriptor<ReqT, RespT> toGrpc(
      MethodDescriptor<ReqT, RespT> method, ServiceDescriptor service) {
    io.grpc.MethodDescriptor.Builder<ReqT, RespT> b = io.grpc.MethodDescriptor.<ReqT, RespT>newBuilder()
        .setType(toGrpc(method.getType()))
        .setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(toGrpc(method.getRequestMarshaller()))
        .setResponseMarshaller(toGrpc(method.getResponseMarshaller()));
    Descriptors.ServiceDescriptor schema = schemaOf(service);
    if (schema != null && schema.findMethodByName(method.getBareMethodName()) != null) {
      b.setSchemaDescriptor(new Schema(schema, method.getBareMethodName()));
    }
    return b.build();
  }

  /** The gRPC descriptor of a service, carrying its protobuf schema when it has one. */
  public static io.grpc.ServiceDescriptor.Builder serviceBuilder(ServiceDescriptor service) {
    io.grpc.ServiceDescriptor.Builder b = io.grpc.ServiceDescriptor.newBuilder(service.getName());
    Descriptors.ServiceDescriptor schema = schemaOf(service);
    if (schema != null) {
      b.setSchemaDescriptor(new Schema(schema, null));
    }
    return b;
  }

  static io.grpc.MethodDescriptor.MethodType toGrpc(MethodDescriptor.MethodType type) {
    switch (type) {
      case UNARY:
        return io.grpc.MethodDescriptor.MethodType.UNARY;
      case SERVER_STREAMING:
        return io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING;
      case CLIENT_STREAMING:
        return io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING;
      default:
        return io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING;
    }
  }

  /** gRPC's own marshaller for protobuf messages; any other Spoke marshaller, wrapped. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static <T> io.grpc.MethodDescriptor.Marshaller<T> toGrpc(Marshaller<T> marshaller) {
    MessageLite prototype = ProtoMarshallers.prototypeOf(marshaller);
    if (prototype instanceof Message) {
      return (io.grpc.MethodDescriptor.Marshaller<T>) ProtoUtils.marshaller((Message) prototype);
    }
    if (prototype != null) {
      return (io.grpc.MethodDescriptor.Marshaller) ProtoLiteUtils.marshaller(prototype);
    }
    return new Wrapped<>(marshaller);
  }

  private static Descriptors.ServiceDescriptor schemaOf(ServiceDescriptor service) {
    Object schema = service == null ? null : service.getSchemaDescriptor();
    return schema instanceof Descriptors.ServiceDescriptor ? (Descriptors.ServiceDescriptor) schema : null;
  }

  /** A Spoke marshaller as gRPC's: serializes into an array of the exact size; parses from all the bytes. */
  private static final class Wrapped<T> implements io.grpc.MethodDescriptor.Marshaller<T> {
    private final Marshaller<T> marshaller;

    Wrapped(Marshaller<T> marshaller) {
      this.marshaller = marshaller;
    }

    @Override
    public InputStream stream(T value) {
      int size = marshaller.serializedSize(value);
      byte[] bytes = new byte[size];
      ByteBuffer target = ByteBuffer.wrap(bytes);
      try {
        marshaller.writeTo(value, target);
      } catch (IOException e) {
        throw io.grpc.Status.INTERNAL.withDescription("could not serialize a message with " + marshaller + ": " + e)
            .withCause(e).asRuntimeException();
      }
      if (target.position() != size) {
        throw io.grpc.Status.INTERNAL.withDescription(marshaller + " wrote " + target.position()
            + " bytes after announcing " + size).asRuntimeException();
      }
      return new Bytes(bytes);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        byte[] bytes = stream.readAllBytes();
        return marshaller.parse(bytes, 0, bytes.length); // a fresh array nobody writes again
      } catch (IOException e) {
        throw io.grpc.Status.INTERNAL.withDescription("could not parse a message with " + marshaller + ": " + e)
            .withCause(e).asRuntimeException();
      }
    }
  }

  /** Serialized bytes whose length gRPC can read without copying them first. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength, io.grpc.Drainable {
    Bytes(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }

  /** The protobuf descriptors of a service (and one of its methods), for gRPC's server reflection. */
  private static final class Schema implements ProtoMethodDescriptorSupplier {
    private final Descriptors.ServiceDescriptor service;
    private final String method;

    Schema(Descriptors.ServiceDescriptor service, String method) {
      this.service = service;
      this.method = method;
    }

    @Override
    public Descriptors.FileDescriptor getFileDescriptor() {
      return service.getFile();
    }

    @Override
    public Descriptors.ServiceDescriptor getServiceDescriptor() {
      return service;
    }

    @Override
    public Descriptors.MethodDescriptor getMethodDescriptor() {
      return method == null ? null : service.findMethodByName(method);
    }
  }
}
