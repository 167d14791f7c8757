package dev.spoke.bench;

import dev.spoke.bench.proto.Payload;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The measurement loops, the same for every framework: warm up for the mode's warm-up time, then
 * measure. Latency is the round trip of one blocking call, recorded per call in an HdrHistogram;
 * throughput counts completions with a fixed number of calls kept in flight. Every measured period is
 * cut into {@value #SLICES} slices, and the spread across slices is reported beside the figure, so an
 * unsteady run shows.
 *
 * <p>Not thread-safe: one loop at a time.
 */
final class Measure {

  static final int SLICES = 5;

  private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(5);

  private final Mode mode;

  Measure(Mode mode) {
    this.mode = mode;
  }

  /** A histogram of nanoseconds, 3 significant digits. */
  static Histogram histogram() {
    return new Histogram(HIGHEST_NANOS, 3);
  }

  static void record(Histogram h, long nanos) {
    h.recordValue(Math.min(Math.max(nanos, 0), HIGHEST_NANOS));
  }

  /** Puts a histogram's count, percentiles, mean and max (ns) into {@code r}. */
  static Result percentiles(Result r, Histogram h) {
    return r.put("n", h.getTotalCount())
        .put("p50", h.getValueAtPercentile(50))
        .put("p90", h.getValueAtPercentile(90))
        .put("p99", h.getValueAtPercentile(99))
        .put("p999", h.getValueAtPercentile(99.9))
        .put("max", h.getMaxValue())
        .put("mean", Math.round(h.getMean()));
  }

  /**
   * The suite's warm-up, until the call path is compiled: blocking calls in batches until the time per
   * call stops falling (three batches in a row no better than the best by 5%) and at least {@link
   * Mode#suiteWarmupCalls} were made; then as many async calls, 8 in flight. Each half stops at half of
   * {@link Mode#suiteWarmupCap}. A framework whose path takes longer to compile gets longer: a fixed time
   * would measure the slower one half-compiled.
   *
   * @return what was done, for the console
   */
  String warmUp(EchoClient client) throws InterruptedException {
    Payload request = Payloads.ofSize(Payloads.THROUGHPUT_SIZE);
    long start = System.nanoTime();
    long end = start + mode.suiteWarmupCap.toNanos() / 2;
    int batch = Math.max(1, Math.min(500, mode.suiteWarmupCalls / 10));
    double best = Double.MAX_VALUE;
    int steady = 0;
    long calls = 0;
    while (System.nanoTime() - end < 0) {
      long t0 = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        check(client.unary(request), request);
      }
      double perCall = (System.nanoTime() - t0) / (double) batch;
      calls += batch;
      if (perCall < best * 0.95) {
        best = perCall;
        steady = 0;
      } else {
        steady++;
      }
      if (calls >= mode.suiteWarmupCalls && steady >= 3) {
        break;
      }
    }
    boolean converged = steady >= 3;
    long blockingNanos = System.nanoTime() - start;
    AtomicLong completed = new AtomicLong();
    AtomicInteger outstanding = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Loop loop = new Loop(client, request, completed, outstanding, failure);
    long asyncEnd = System.nanoTime() + mode.suiteWarmupCap.toNanos() / 2;
    for (int i = 0; i < 8; i++) {
      loop.issue();
    }
    while (completed.get() < mode.suiteWarmupCalls && failure.get() == null && System.nanoTime() - asyncEnd < 0) {
      Thread.sleep(1);
    }
    loop.stop = true;
    drain(outstanding, failure, "the warm-up");
    return String.format("%d blocking calls in %.1f s (%s at %s µs a call), %d async calls",
        calls, blockingNanos / 1e9, converged ? "steady" : "still improving when time ran out", Format.micros(best),
        completed.get());
  }

  /** Waits for a loop's calls to end; throws if one failed or some never ended. */
  private static void drain(AtomicInteger outstanding, AtomicReference<Throwable> failure, String what)
      throws InterruptedException {
    long drainEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (outstanding.get() > 0 && System.nanoTime() - drainEnd < 0) {
      Thread.sleep(1);
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed during " + what, failure.get());
    }
    if (outstanding.get() > 0) {
      throw new IllegalStateException(outstanding.get() + " calls still outstanding 30 s after " + what);
    }
  }

  /** Round trips of {@code size}-byte requests through blocking calls. */
  Result latency(String series, EchoClient client, int size) {
    Payload request = Payloads.ofSize(size);
    Payload first = client.unary(request);
    if (!first.equals(request)) {
      throw new IllegalStateException(series + ": the echo of a " + Payloads.label(size) + " request came back different");
    }
    long warmEnd = System.nanoTime() + mode.warmup.toNanos();
    for (int n = 0; n < 3 || System.nanoTime() - warmEnd < 0; n++) {
      check(client.unary(request), request);
    }
    Histogram all = histogram();
    Histogram[] slices = new Histogram[SLICES];
    for (int i = 0; i < SLICES; i++) {
      slices[i] = histogram();
    }
    long measureNanos = mode.measure.toNanos();
    long maxNanos = mode.maxMeasure().toNanos();
    long start = System.nanoTime();
    for (long n = 0; ; n++) {
      long t0 = System.nanoTime();
      Payload response = client.unary(request);
      long t1 = System.nanoTime();
      check(response, request);
      record(all, t1 - t0);
      record(slices[(int) Math.min(SLICES - 1, (t0 - start) * SLICES / measureNanos)], t1 - t0);
      long elapsed = t1 - start;
      if ((elapsed >= measureNanos && n + 1 >= mode.minSamples) || elapsed >= maxNanos) {
        break;
      }
    }
    Result r = percentiles(Result.of("latency", series).put("size", size), all);
    long lo = Long.MAX_VALUE;
    long hi = 0;
    for (Histogram s : slices) {
      if (s.getTotalCount() > 0) {
        lo = Math.min(lo, s.getValueAtPercentile(50));
        hi = Math.max(hi, s.getValueAtPercentile(50));
      }
    }
    return r.put("p50min", lo).put("p50max", hi);
  }

  /**
   * Bursty traffic: round trips of 16 B requests, each after a pause of {@code gapMicros}, so the
   * receive threads on both sides have gone quiet (spinning, then parked) before each call arrives.
   * Pauses under 100 µs are spun, as a caller busy with other work; longer ones are parked, as a thread
   * waiting for work. At least {@link #BURSTY_MIN_CALLS} calls, for the mode's measuring time.
   */
  Result bursty(String series, EchoClient client, int gapMicros) throws InterruptedException {
    Payload request = Payloads.ofSize(16);
    check(client.unary(request), request);
    long gapNanos = TimeUnit.MICROSECONDS.toNanos(gapMicros);
    Histogram all = histogram();
    long measureNanos = mode.measure.toNanos();
    long start = System.nanoTime();
    for (long n = 0; ; n++) {
      pause(gapNanos);
      long t0 = System.nanoTime();
      Payload response = client.unary(request);
      long t1 = System.nanoTime();
      check(response, request);
      record(all, t1 - t0);
      if (n + 1 >= BURSTY_MIN_CALLS && t1 - start >= measureNanos) {
        break;
      }
    }
    return percentiles(Result.of("bursty", series).put("size", 16).put("gap", gapMicros), all);
  }

  /** The fewest calls a bursty point makes, whatever the mode: enough for a p99. */
  static final int BURSTY_MIN_CALLS = 200;

  private static void pause(long nanos) throws InterruptedException {
    if (nanos <= 0) {
      return;
    }
    long until = System.nanoTime() + nanos;
    if (nanos < 100_000) {
      while (System.nanoTime() - until < 0) {
        Thread.onSpinWait();
      }
      return;
    }
    sleepUntil(until);
  }

  private static void check(Payload response, Payload request) {
    if (response.getData().size() != request.getData().size()) {
      throw new IllegalStateException("a response of " + response.getData().size() + " data bytes to a request of "
          + request.getData().size());
    }
  }

  /** Calls per second of {@code size}-byte unary calls with {@code inFlight} calls outstanding at all times. */
  Result throughput(String series, EchoClient client, int size, int inFlight) throws InterruptedException {
    Payload request = Payloads.ofSize(size);
    AtomicLong completed = new AtomicLong();
    AtomicInteger outstanding = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Loop loop = new Loop(client, request, completed, outstanding, failure);
    for (int i = 0; i < inFlight; i++) {
      loop.issue();
    }
    Thread.sleep(mode.warmup.toMillis());
    long sliceNanos = mode.measure.toNanos() / SLICES;
    long c0 = completed.get();
    long t0 = System.nanoTime();
    long prevCount = c0;
    long prevTime = t0;
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (int s = 1; s <= SLICES; s++) {
      sleepUntil(t0 + s * sliceNanos);
      long c = completed.get();
      long t = System.nanoTime();
      double rate = (c - prevCount) * 1e9 / (t - prevTime);
      lo = Math.min(lo, rate);
      hi = Math.max(hi, rate);
      prevCount = c;
      prevTime = t;
    }
    loop.stop = true;
    drain(outstanding, failure, series + "'s throughput run");
    double rate = (prevCount - c0) * 1e9 / (prevTime - t0);
    return Result.of("throughput", series).put("size", size).put("inflight", inFlight)
        .put("n", prevCount - c0).put("rate", Math.round(rate)).put("rateMin", Math.round(lo)).put("rateMax", Math.round(hi));
  }

  /** Keeps calls going: every completion issues the next call, until stopped. */
  private static final class Loop {
    final EchoClient client;
    final Payload request;
    final AtomicLong completed;
    final AtomicInteger outstanding;
    final AtomicReference<Throwable> failure;
    final Consumer<Throwable> onDone;
    volatile boolean stop;

    Loop(EchoClient client, Payload request, AtomicLong completed, AtomicInteger outstanding,
        AtomicReference<Throwable> failure) {
      this.client = client;
      this.request = request;
      this.completed = completed;
      this.outstanding = outstanding;
      this.failure = failure;
      this.onDone = this::done;
    }

    void issue() {
      outstanding.incrementAndGet();
      try {
        client.unaryAsync(request, onDone);
      } catch (RuntimeException e) {
        done(e);
      }
    }

    void done(Throwable t) {
      if (t != null) {
        failure.compareAndSet(null, t);
        stop = true;
      } else {
        completed.incrementAndGet();
      }
      if (!stop) {
        issue();
      }
      outstanding.decrementAndGet();
    }
  }

  /** Messages per second of server-streaming calls of {@value Payloads#STREAM_MESSAGES} messages each. */
  Result stream(String series, EchoClient client) {
    Payload request = Payloads.ofSize(Payloads.STREAM_SIZE, Payloads.STREAM_MESSAGES);
    long warmEnd = System.nanoTime() + mode.warmup.toNanos();
    do {
      streamOnce(client, request);
    } while (System.nanoTime() - warmEnd < 0);
    long start = System.nanoTime();
    long messages = 0;
    double lo = Double.MAX_VALUE;
    double hi = 0;
    long now;
    int calls = 0;
    do {
      long t0 = System.nanoTime();
      messages += streamOnce(client, request);
      now = System.nanoTime();
      double rate = Payloads.STREAM_MESSAGES * 1e9 / (now - t0);
      lo = Math.min(lo, rate);
      hi = Math.max(hi, rate);
      calls++;
    } while (now - start < mode.measure.toNanos() || calls < 3);
    double rate = messages * 1e9 / (now - start);
    return Result.of("stream", series).put("size", Payloads.STREAM_SIZE).put("n", messages)
        .put("rate", Math.round(rate)).put("rateMin", Math.round(lo)).put("rateMax", Math.round(hi));
  }

  private static long streamOnce(EchoClient client, Payload request) {
    long n = client.serverStream(request);
    if (n != request.getRepeat()) {
      throw new IllegalStateException("a stream of " + request.getRepeat() + " messages delivered " + n);
    }
    return n;
  }

  private static void sleepUntil(long deadline) throws InterruptedException {
    // NOTE: parkNanos, not Thread.sleep: sleep rounds a sub-millisecond pause up to a whole millisecond,
    // which made a "100 µs" gap one of 1.1 ms.
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      java.util.concurrent.locks.LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }
}
