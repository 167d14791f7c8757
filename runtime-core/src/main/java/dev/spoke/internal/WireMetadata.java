package dev.spoke.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.proto.CallHeaders;
import dev.spoke.proto.CallTrailers;
import dev.spoke.proto.MetadataEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Encodes headers and trailers at the front of a frame's payload: a varint length, then a {@link
 * CallHeaders} or {@link CallTrailers} message (docs/PROTOCOL.md). Only frames with the METADATA flag
 * carry one, so calls without metadata pay nothing.
 */
final class WireMetadata {

  private WireMetadata() {}

  /** The headers message for {@code headers}, or null when there is nothing to send. */
  static CallHeaders headers(Metadata headers, String what) throws StatusException {
    if (headers == null || headers.isEmpty()) {
      return null;
    }
    CallHeaders.Builder b = CallHeaders.newBuilder();
    for (int i = 0; i < headers.size(); i++) {
      b.addEntries(entry(headers, i));
    }
    return checkSize(b.build(), what);
  }

  /** The request headers message for {@code headers}, or null when there is nothing to send. */
  static CallHeaders headers(Metadata headers) throws StatusException {
    return headers(headers, "request headers");
  }

  /** The trailers message for a close, or null when there is nothing to send. */
  static CallTrailers trailers(Status status, Metadata trailers) throws StatusException {
    return trailers(status, trailers, null);
  }

  /**
   * The trailers message for a close, carrying the response headers too when they travel with it, or
   * null when there is nothing to send.
   */
  static CallTrailers trailers(Status status, Metadata trailers, Metadata responseHeaders) throws StatusException {
    String description = status.getDescription();
    boolean noTrailers = trailers == null || trailers.isEmpty();
    boolean noHeaders = responseHeaders == null || responseHeaders.isEmpty();
    if (description == null && noTrailers && noHeaders) {
      return null;
    }
    CallTrailers.Builder b = CallTrailers.newBuilder();
    if (description != null) {
      b.setDescription(description);
    }
    if (!noTrailers) {
      for (int i = 0; i < trailers.size(); i++) {
        b.addEntries(entry(trailers, i));
      }
    }
    if (!noHeaders) {
      for (int i = 0; i < responseHeaders.size(); i++) {
        b.addHeaders(entry(responseHeaders, i));
      }
    }
    return checkSize(b.build(), noHeaders ? "trailers" : "response headers and trailers");
  }

  private static MetadataEntry entry(Metadata m, int i) {
    // A binary value is wrapped, not copied: the message is written out before anyone could change it.
    return MetadataEntry.newBuilder()
        .setKey(m.keyAt(i))
        .setValue(m.isBinaryAt(i) ? UnsafeByteOperations.unsafeWrap(m.bytesAt(i)) : ByteString.copyFromUtf8(m.valueAt(i)))
        .build();
  }

  /**
   * The metadata of entries that came off the wire, checked as {@link Metadata#putWire} checks them.
   *
   * @throws IOException naming the first entry that is not valid metadata
   */
  static Metadata toMetadata(List<MetadataEntry> entries) throws IOException {
    Metadata m = new Metadata();
    for (MetadataEntry e : entries) {
      try {
        m.putWire(e.getKey(), e.getValue().toByteArray());
      } catch (IllegalArgumentException bad) {
        throw new IOException(bad.getMessage(), bad);
      }
    }
    return m;
  }

  /** Bytes the length-prefixed message takes. */
  static int prefixedSize(MessageLite message) {
    int size = message.getSerializedSize();
    return CodedOutputStream.computeUInt32SizeNoTag(size) + size;
  }

  /** Writes the length-prefixed message at {@code buffer}'s position and advances it. */
  static void writePrefixed(MessageLite message, ByteBuffer buffer) throws IOException {
    CodedOutputStream out = CodedOutputStream.newInstance(buffer);
    out.writeUInt32NoTag(message.getSerializedSize());
    message.writeTo(out);
    out.flush();
  }

  /**
   * The length-prefixed message at the start of {@code payload}; {@link #prefixedEnd} says where the
   * rest of the payload begins.
   *
   * @throws IOException if the prefix or the message is malformed, or the length overruns the payload
   */
  static <M> M readPrefixed(byte[] payload, Parser<M> parser) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(payload);
    int length = in.readRawVarint32();
    int prefix = in.getTotalBytesRead();
    if (length < 0 || length > payload.length - prefix) {
      throw new IOException(
          "metadata length " + length + " overruns the payload (" + (payload.length - prefix) + " bytes left)");
    }
    return parser.parseFrom(payload, prefix, length);
  }

  /** Where the payload continues after its length-prefixed metadata (valid after {@link #readPrefixed}). */
  static int prefixedEnd(byte[] payload) throws IOException {
    CodedInputStream in = CodedInputStream.newInstance(payload);
    int length = in.readRawVarint32();
    return in.getTotalBytesRead() + length;
  }

  /**
   * As {@link #prefixedEnd(byte[])}, for the payload at {@code payload}'s position in a buffer, read where
   * it lies (a direct buffer handed to protobuf would be copied whole): where the message starts,
   * relative to that position; -1 if the prefix is malformed or overruns the payload.
   */
  static int prefixedEnd(ByteBuffer payload) {
    int at = payload.position();
    int end = payload.limit();
    int length = 0;
    for (int shift = 0, i = 0; ; shift += 7, i++) {
      if (i == 5 || at + i >= end) {
        return -1;
      }
      byte b = payload.get(at + i);
      length |= (b & 0x7F) << shift;
      if (b >= 0) {
        long total = (long) i + 1 + (length & 0xFFFFFFFFL);
        return length < 0 || total > end - at ? -1 : (int) total;
      }
    }
  }

  private static <M extends MessageLite> M checkSize(M message, String what) throws StatusException {
    int size = message.getSerializedSize();
    if (size > Metadata.MAX_ENCODED_BYTES) {
      throw Status.INVALID_ARGUMENT
          .withDescription(what + " take " + size + " bytes encoded; the limit is " + Metadata.MAX_ENCODED_BYTES
              + " (Metadata.MAX_ENCODED_BYTES)")
          .asException();
    }
    return message;
  }
}
