package dev.spoke.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The machine's own limits, measured in the same run as the frameworks: the shared-memory spin
 * ping-pong between two JVMs ({@link SpinPong}), the floor for latency, and the single-thread copy
 * bandwidth between the heap and a mapped file, the floor for large payloads.
 */
public final class FloorSuite {

  private FloorSuite() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Mode mode = args.mode();
    Path dir = Files.createTempDirectory(shmOrTmp(), "spoke-bench-floor");
    try {
      copyBandwidth(mode, dir).forEach(Result::emit);
      spinPong(mode, dir).emit();
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
    System.exit(0);
  }

  /** /dev/shm when there is one, as for the hub: memory, not disk. */
  static Path shmOrTmp() {
    Path shm = Path.of("/dev/shm");
    return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
  }

  static Result spinPong(Mode mode, Path dir) throws IOException, InterruptedException {
    Path file = dir.resolve("spin-pong");
    try (SpinPong ping = new SpinPong(file, true)) {
      Process ponger = Jvm.start(SpinPong.class, Jvm.MEASURED, List.of(file.toString()));
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!ping.pongerReady()) {
          if (System.nanoTime() - deadline > 0 || !ponger.isAlive()) {
            throw new IllegalStateException("the ponger JVM did not start: " + new String(ponger.getInputStream().readAllBytes()));
          }
          Thread.sleep(1);
        }
        long seq = 1;
        long warmEnd = System.nanoTime() + mode.warmup.toNanos();
        while (System.nanoTime() - warmEnd < 0) {
          ping.roundTrip(seq++);
        }
        Histogram h = Measure.histogram();
        long start = System.nanoTime();
        long end = start + mode.measure.toNanos();
        long t1;
        do {
          long t0 = System.nanoTime();
          ping.roundTrip(seq++);
          t1 = System.nanoTime();
          Measure.record(h, t1 - t0);
        } while (t1 - end < 0);
        ping.stop();
        ponger.waitFor(10, TimeUnit.SECONDS);
        Result r = Measure.percentiles(Result.of("spin", "floor.spin").put("size", 8), h);
        System.out.printf("floor: spin ping-pong between two JVMs  p50 %s µs  p99 %s µs  (n=%d)%n",
            Format.micros(r.num("p50")), Format.micros(r.num("p99")), h.getTotalCount());
        return r;
      } finally {
        Jvm.killTree(ponger);
      }
    }
  }

  /**
   * Single-thread copies of 1 MiB and 16 MiB from a heap array into a mapped file and back (as a
   * sender writes a slot and a receiver copies it out); the median time of each, and the bandwidth.
   */
  static List<Result> copyBandwidth(Mode mode, Path dir) throws IOException {
    int max = 16 << 20;
    Path file = dir.resolve("copy");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, max);
      byte[] heap = new byte[max];
      Arrays.fill(heap, (byte) 1);
      Result small = copy(mode, mapped, heap, 1 << 20);
      Result large = copy(mode, mapped, heap, max);
      return List.of(small, large);
    }
  }

  private static Result copy(Mode mode, ByteBuffer mapped, byte[] heap, int size) {
    long budget = Math.max(mode.warmup.toNanos() + mode.measure.toNanos(), TimeUnit.MILLISECONDS.toNanos(200)) / 2;
    for (long end = System.nanoTime() + budget; System.nanoTime() - end < 0; ) {
      copyOnce(mapped, heap, size);
    }
    long[] samples = new long[10_000];
    int n = 0;
    for (long end = System.nanoTime() + budget; n < samples.length && (System.nanoTime() - end < 0 || n < 5); n++) {
      samples[n] = copyOnce(mapped, heap, size);
    }
    Arrays.sort(samples, 0, n);
    long median = samples[n / 2];
    // Each sample copies size bytes twice: into the file and back.
    double bytesPerSecond = 2.0 * size * 1e9 / median;
    System.out.printf("floor: copy %s heap -> mapped -> heap  %s µs  (%s GB/s, n=%d)%n", Payloads.label(size),
        Format.micros(median), Format.sig3(bytesPerSecond / 1e9), n);
    return Result.of("copy", "floor.copy").put("size", size).put("n", n).put("nanos", median / 2)
        .put("bytesPerSecond", Math.round(bytesPerSecond)).put("min", samples[0] / 2).put("max", samples[n - 1] / 2);
  }

  /** Copies into the mapped file and back; returns the time for both. */
  private static long copyOnce(ByteBuffer mapped, byte[] heap, int size) {
    long t0 = System.nanoTime();
    mapped.put(0, heap, 0, size);
    mapped.get(0, heap, 0, size);
    return System.nanoTime() - t0;
  }
}
