package dev.spoke;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Turns messages into bytes and back, writing straight into a buffer the transport lends (a slot of
 * shared memory, for the hub) so nothing is serialized twice.
 *
 * <p>Implementations are stateless and thread-safe.
 *
 * @param <T> the message type
 */
public interface Marshaller<T> {

  /** The exact number of bytes {@link #writeTo} will write for {@code value}. */
  int serializedSize(T value);

  /**
   * Writes exactly {@link #serializedSize} bytes of {@code value} at {@code target}'s position and
   * advances it.
   */
  void writeTo(T value, ByteBuffer target) throws IOException;

  /**
   * Parses a value from every remaining byte of {@code source}.
   *
   * <p>When {@code source} is backed by an array, the framework guarantees that nobody writes to that
   * array again, so the parsed value may share its bytes instead of copying them.
   *
   * @throws IOException if the bytes are not a valid message
   */
  T parse(ByteBuffer source) throws IOException;

  /**
   * Parses a value from {@code length} bytes of {@code bytes} at {@code offset}. The framework calls
   * this with an array that nobody writes again, so the value may share its bytes. The default wraps the
   * array for {@link #parse(ByteBuffer)}; implementations override it to save the wrapper.
   *
   * @throws IOException if the bytes are not a valid message
   */
  default T parse(byte[] bytes, int offset, int length) throws IOException {
    return parse(ByteBuffer.wrap(bytes, offset, length));
  }

  /**
   * True if values this marshaller parses from a direct buffer read that buffer in place instead of
   * copying it (a raw-bytes view, a FlatBuffers table): the framework then lends it the received slot of
   * shared memory itself, and keeps the slot until the value is released ({@link ZeroCopy}). False (the
   * default, and protobuf's marshallers): every message is copied out of its slot once, and the slot
   * freed at once.
   */
  default boolean readsInPlace() {
    return false;
  }
}
