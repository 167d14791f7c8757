package dev.spoke.bench;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The latency floor: two JVMs bouncing a counter through a mapped file, each spinning on a {@code
 * VarHandle} acquire read until the other's release write arrives. No RPC can cross two processes
 * faster on this machine.
 *
 * <p>Layout, each word on its own cache line: 0 ping (written by the pinger), 64 pong (written by the
 * ponger), 128 ponger ready. The ponger answers every new ping value with the same pong value and leaves
 * at {@link #STOP}.
 *
 * <p>Not thread-safe: one thread per side.
 */
final class SpinPong implements AutoCloseable {

  static final int FILE_SIZE = 4096;
  static final long STOP = -1;

  private static final int PING = 0;
  private static final int PONG = 64;
  private static final int READY = 128;
  private static final VarHandle LONGS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final FileChannel file;
  private final MappedByteBuffer buffer;

  SpinPong(Path path, boolean create) throws IOException {
    this.file = create
        ? FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
        : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    this.buffer = file.map(FileChannel.MapMode.READ_WRITE, 0, FILE_SIZE);
  }

  /** The ponger's main loop: answers pings until {@link #STOP}. */
  void pong() {
    ByteBuffer b = buffer;
    LONGS.setRelease(b, READY, 1L);
    long last = 0;
    for (;;) {
      long v = (long) LONGS.getAcquire(b, PING);
      if (v != last) {
        last = v;
        LONGS.setRelease(b, PONG, v);
        if (v == STOP) {
          return;
        }
      } else {
        Thread.onSpinWait();
      }
    }
  }

  boolean pongerReady() {
    return (long) LONGS.getAcquire(buffer, READY) == 1L;
  }

  /** One round trip: ping {@code seq} (never 0 or {@link #STOP}), spin until it comes back. */
  void roundTrip(long seq) {
    ByteBuffer b = buffer;
    LONGS.setRelease(b, PING, seq);
    while ((long) LONGS.getAcquire(b, PONG) != seq) {
      Thread.onSpinWait();
    }
  }

  void stop() {
    LONGS.setRelease(buffer, PING, STOP);
  }

  @Override
  public void close() throws IOException {
    file.close();
  }

  /** The ponger's JVM: {@code SpinPong <file>}. */
  public static void main(String[] args) throws IOException {
    try (SpinPong p = new SpinPong(Path.of(args[0]), false)) {
      p.pong();
    }
    System.exit(0);
  }
}
