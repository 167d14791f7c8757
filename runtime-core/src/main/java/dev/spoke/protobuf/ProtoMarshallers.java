package dev.spoke.protobuf;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import dev.spoke.Marshaller;
import dev.spoke.Metadata;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * {@link Marshaller}s for protobuf messages, as generated code uses them.
 *
 * <p>Writing goes straight into the lent buffer through {@link CodedOutputStream#newInstance(ByteBuffer)},
 * so a message is serialized once, into its slot. Parsing an array-backed buffer wraps the array
 * without copying and enables aliasing, so {@code bytes} fields share the received array: together with
 * the call layer's single copy out of shared memory, a message costs one copy in all. (Handing
 * protobuf-java a direct buffer would copy it twice.)
 */
public final class ProtoMarshallers {

  private ProtoMarshallers() {}

  /** A marshaller for messages of {@code defaultInstance}'s type. */
  public static <T extends MessageLite> Marshaller<T> marshaller(T defaultInstance) {
    return new ProtoMarshaller<>(defaultInstance);
  }

  /**
   * A metadata marshaller for messages of {@code defaultInstance}'s type, for binary keys (gRPC-java's
   * {@code ProtoUtils.metadataMarshaller}). Bytes that do not parse throw {@link IllegalArgumentException}.
   */
  public static <T extends MessageLite> Metadata.BinaryMarshaller<T> metadataMarshaller(T defaultInstance) {
    @SuppressWarnings("unchecked")
    Parser<T> parser = (Parser<T>) defaultInstance.getParserForType();
    return new Metadata.BinaryMarshaller<>() {
      @Override
      public byte[] toBytes(T value) {
        return value.toByteArray();
      }

      @Override
      public T parseBytes(byte[] serialized) {
        try {
          return parser.parseFrom(serialized);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalArgumentException("metadata value is not a valid "
              + defaultInstance.getClass().getName() + ": " + e.getMessage(), e);
        }
      }
    };
  }

  /**
   * The binary metadata key for messages of {@code defaultInstance}'s type: the message's full name
   * with {@value Metadata#BINARY_HEADER_SUFFIX} (gRPC-java's {@code ProtoUtils.keyForProto}).
   */
  public static <T extends Message> Metadata.Key<T> keyForProto(T defaultInstance) {
    return Metadata.Key.of(defaultInstance.getDescriptorForType().getFullName() + Metadata.BINARY_HEADER_SUFFIX,
        metadataMarshaller(defaultInstance));
  }

  /**
   * The message type a marshaller made by {@link #marshaller} is for, as its default instance; null for
   * any other marshaller. A bridge to another RPC system uses it to pick that system's own protobuf
   * marshaller, so both sides put the same bytes on the wire.
   */
  public static MessageLite prototypeOf(Marshaller<?> marshaller) {
    return marshaller instanceof ProtoMarshaller ? ((ProtoMarshaller<?>) marshaller).defaultInstance : null;
  }

  private static final class ProtoMarshaller<T extends MessageLite> implements Marshaller<T> {
    private final Parser<T> parser;
    private final T defaultInstance;

    @SuppressWarnings("unchecked")
    ProtoMarshaller(T defaultInstance) {
      this.defaultInstance = defaultInstance;
      this.parser = (Parser<T>) defaultInstance.getParserForType();
    }

    @Override
    public int serializedSize(T value) {
      return value.getSerializedSize();
    }

    @Override
    public void writeTo(T value, ByteBuffer target) throws IOException {
      if (target.hasArray()) {
        // Small payloads travel inline from a heap buffer; the array encoder needs no flusher.
        int start = target.arrayOffset() + target.position();
        CodedOutputStream out = CodedOutputStream.newInstance(target.array(), start, target.remaining());
        value.writeTo(out);
        target.position(target.position() + out.getTotalBytesWritten());
        return;
      }
      CodedOutputStream out = CodedOutputStream.newInstance(target);
      value.writeTo(out);
      out.flush(); // advances target's position past what was written
    }

    @Override
    public T parse(ByteBuffer source) throws IOException {
      int length = source.remaining();
      T message;
      if (source.hasArray()) {
        message = parse(source.array(), source.arrayOffset() + source.position(), length);
      } else {
        byte[] copy = new byte[length];
        source.duplicate().get(copy);
        message = parse(copy, 0, length);
      }
      source.position(source.limit());
      return message;
    }

    @Override
    public T parse(byte[] bytes, int offset, int length) throws IOException {
      if (length == 0) {
        return defaultInstance;
      }
      // The array is never written again, so bytes fields may alias it: one copy in all.
      CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes, offset, length).newCodedInput();
      in.enableAliasing(true);
      T message = parser.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
      try {
        in.checkLastTagWas(0);
      } catch (InvalidProtocolBufferException e) {
        throw e.setUnfinishedMessage(message);
      }
      return message;
    }

    @Override
    public String toString() {
      return "ProtoMarshaller{" + defaultInstance.getClass().getName() + "}";
    }
  }
}
