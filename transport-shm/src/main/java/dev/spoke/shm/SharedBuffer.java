package dev.spoke.shm;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A mapped region of the hub with accessors that name their memory ordering, so every line that
 * touches shared memory says what it publishes or observes: {@code getLong} (plain), {@code
 * getLongAcquire}, {@code putLongRelease}, {@code getLongVolatile}, {@code compareAndSetLong}, and so
 * on. Offsets are absolute byte offsets into the region; atomic accesses must be aligned to their size
 * (every descriptor class guarantees it for its fields).
 *
 * <p>Backed by {@link MethodHandles#byteBufferViewVarHandle} over a direct buffer, in the machine's
 * native byte order: acquire, release, volatile and CAS on aligned ints and longs with no JVM flags.
 *
 * <p>Thread-safe in the sense that each access is atomic with its named ordering; what a sequence of
 * accesses means is the caller's protocol.
 */
final class SharedBuffer {

  private static final VarHandle LONG = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());
  private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

  private final ByteBuffer buffer;

  SharedBuffer(ByteBuffer buffer) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("shared memory must be a direct buffer");
    }
    this.buffer = buffer.duplicate().order(ByteOrder.nativeOrder());
  }

  /** The underlying buffer (native order); slices of it are the slot views. */
  ByteBuffer buffer() {
    return buffer;
  }

  long capacity() {
    return buffer.capacity();
  }

  // --- long ---

  long getLong(long offset) {
    return (long) LONG.get(buffer, (int) offset);
  }

  void putLong(long offset, long value) {
    LONG.set(buffer, (int) offset, value);
  }

  long getLongAcquire(long offset) {
    return (long) LONG.getAcquire(buffer, (int) offset);
  }

  void putLongRelease(long offset, long value) {
    LONG.setRelease(buffer, (int) offset, value);
  }

  long getLongVolatile(long offset) {
    return (long) LONG.getVolatile(buffer, (int) offset);
  }

  void putLongVolatile(long offset, long value) {
    LONG.setVolatile(buffer, (int) offset, value);
  }

  boolean compareAndSetLong(long offset, long expected, long value) {
    return LONG.compareAndSet(buffer, (int) offset, expected, value);
  }

  long getAndAddLong(long offset, long delta) {
    return (long) LONG.getAndAdd(buffer, (int) offset, delta);
  }

  // --- int ---

  int getInt(long offset) {
    return (int) INT.get(buffer, (int) offset);
  }

  void putInt(long offset, int value) {
    INT.set(buffer, (int) offset, value);
  }

  int getIntAcquire(long offset) {
    return (int) INT.getAcquire(buffer, (int) offset);
  }

  void putIntRelease(long offset, int value) {
    INT.setRelease(buffer, (int) offset, value);
  }

  int getIntVolatile(long offset) {
    return (int) INT.getVolatile(buffer, (int) offset);
  }

  void putIntVolatile(long offset, int value) {
    INT.setVolatile(buffer, (int) offset, value);
  }

  boolean compareAndSetInt(long offset, int expected, int value) {
    return INT.compareAndSet(buffer, (int) offset, expected, value);
  }

  int getAndAddInt(long offset, int delta) {
    return (int) INT.getAndAdd(buffer, (int) offset, delta);
  }

  // --- bytes (plain) ---

  byte getByte(long offset) {
    return buffer.get((int) offset);
  }

  void putByte(long offset, byte value) {
    buffer.put((int) offset, value);
  }

  void getBytes(long offset, byte[] dst, int dstOffset, int length) {
    buffer.get((int) offset, dst, dstOffset, length);
  }

  void putBytes(long offset, byte[] src, int srcOffset, int length) {
    buffer.put((int) offset, src, srcOffset, length);
  }

  void putBytes(long offset, ByteBuffer src) {
    buffer.put((int) offset, src, src.position(), src.remaining());
  }

  void setMemory(long offset, int length, byte value) {
    for (int i = 0; i < length; i++) {
      buffer.put((int) offset + i, value);
    }
  }

  /** A view of {@code [offset, offset + length)} with its own position and limit. */
  ByteBuffer slice(long offset, int length) {
    return buffer.slice((int) offset, length).order(ByteOrder.nativeOrder());
  }

  /** A full fence: orders every earlier load and store before every later one. */
  static void fullFence() {
    VarHandle.fullFence();
  }
}
