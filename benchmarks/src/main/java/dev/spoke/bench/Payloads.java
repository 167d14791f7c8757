package dev.spoke.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.spoke.bench.proto.Payload;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The payloads every benchmark sends. A payload's size is the size of the serialized message, so the
 * bytes each framework moves are the same and named by the size: a "16 B" request is a {@link Payload}
 * whose {@code data} field holds 14 random bytes.
 *
 * <p>Thread-safe.
 */
final class Payloads {

  /** The unary sizes of every run: 16 B, 1 KiB, 64 KiB, 1 MiB, 16 MiB. */
  static final List<Integer> UNARY_SIZES = List.of(16, 1 << 10, 64 << 10, 1 << 20, 16 << 20);
  /** Sizes of the zero-copy receive points (raw bytes read in place), headline series only. */
  static final List<Integer> ZERO_COPY_SIZES = List.of(1 << 20, 16 << 20);

  /** The message size of the throughput runs. */
  static final int THROUGHPUT_SIZE = 16;

  /** The message size of the server-streaming runs, and how many messages one call streams. */
  static final int STREAM_SIZE = 1 << 10;

  static final int STREAM_MESSAGES = 1000;

  private Payloads() {}

  /** A request whose serialized size is exactly {@code size} bytes (at least 2), with random data. */
  static Payload ofSize(int size) {
    return ofSize(size, 0);
  }

  /** As {@link #ofSize(int)}, with {@code repeat} set (it adds to the size: keep it for streams). */
  static Payload ofSize(int size, int repeat) {
    int overhead = repeat == 0 ? 0 : 1 + CodedOutputStream.computeUInt32SizeNoTag(repeat);
    int dataLength = dataLengthFor(size - overhead);
    byte[] data = new byte[dataLength];
    new SplittableRandom(size).nextBytes(data);
    Payload p = Payload.newBuilder().setData(ByteString.copyFrom(data)).setRepeat(repeat).build();
    if (p.getSerializedSize() != size) {
      throw new IllegalStateException("a payload of " + size + " bytes came out as " + p.getSerializedSize());
    }
    return p;
  }

  /** The length of a bytes field 1 whose field, tag and length included, is {@code size} bytes. */
  static int dataLengthFor(int size) {
    for (int n = Math.max(0, size - 6); n <= size; n++) {
      if (1 + CodedOutputStream.computeUInt32SizeNoTag(n) + n == size) {
        return n;
      }
    }
    throw new IllegalArgumentException("no bytes field serializes to exactly " + size + " bytes");
  }

  /** {@code 16 B}, {@code 64 KiB}, {@code 16 MiB}. */
  static String label(long size) {
    if (size >= (1 << 20) && size % (1 << 20) == 0) {
      return (size >> 20) + " MiB";
    }
    if (size >= (1 << 10) && size % (1 << 10) == 0) {
      return (size >> 10) + " KiB";
    }
    return size + " B";
  }

  /** Parses {@code 16,1024,64k,1m} into sizes in bytes. */
  static List<Integer> parseSizes(String list) {
    List<Integer> out = new ArrayList<>();
    for (String s : list.split(",")) {
      s = s.trim().toLowerCase();
      if (s.isEmpty()) {
        continue;
      }
      int unit = 1;
      if (s.endsWith("k")) {
        unit = 1 << 10;
      } else if (s.endsWith("m")) {
        unit = 1 << 20;
      }
      out.add(Integer.parseInt(unit == 1 ? s : s.substring(0, s.length() - 1)) * unit);
    }
    return out;
  }
}
