package dev.spoke.bench;

import dev.spoke.bench.proto.Payload;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The measurement loops, the same for every framework: warm up until the figure is steady, then
 * measure. A point warms in slices of {@value #WARMUP_SLICE_MILLIS} ms for at least the mode's warm-up
 * time and on until the figure is no better than the best by 5% three slices in a row and the JIT
 * compilers of both processes used under {@value #QUIET_JIT_PERCENT}% of the time {@value #QUIET_SLICES}
 * slices in a row (tiered compilation comes in waves: C1 first, C2 thousands of calls later), up to the
 * mode's cap;
 * whether it got steady, how long it took, and how much the compilers ran while the point was measured
 * go into the result. Latency is the round trip of one blocking call, recorded per call in an HdrHistogram;
 * throughput counts completions with a fixed number of calls kept in flight. Every measured period is
 * cut into {@value #SLICES} slices, and the spread across slices is reported beside the figure, so an
 * unsteady run shows.
 *
 * <p>Not thread-safe: one loop at a time.
 */
final class Measure {

  static final int SLICES = 5;

  private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(5);

  static final int WARMUP_SLICE_MILLIS = 50;

  /** The compilers' share of a warm-up slice (summed over the processes) under which the JIT counts as done. */
  static final int QUIET_JIT_PERCENT = 2;

  /** How many warm-up slices in a row the compilers must be quiet. */
  static final int QUIET_SLICES = 6;

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
   * call stops falling and the compilers are quiet (the rule of {@link #warmUntilSteady}, a batch for a
   * slice) and at least {@link
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
    Steadiness steadiness = new Steadiness();
    long calls = 0;
    while (System.nanoTime() - end < 0) {
      long t0 = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        check(client.unary(request), request);
      }
      calls += batch;
      boolean steady = steadiness.slice((System.nanoTime() - t0) / (double) batch, t0);
      if (calls >= mode.suiteWarmupCalls && steady) {
        break;
      }
    }
    boolean converged = steadiness.reached();
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
        calls, blockingNanos / 1e9, converged ? "steady" : "not steady when time ran out", Format.micros(steadiness.best),
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

  /** One slice of a point's warm-up: works until {@code sliceEnd} and returns the nanoseconds per unit of work. */
  private interface WarmupSlice {
    double run(long sliceEnd) throws InterruptedException;
  }

  /**
   * Warms a point until its figure stops improving and the JIT is done with it (see the class comment)
   * and records how in {@code r}: {@code warmup} (ns) and {@code warmSteady}. A fixed warm-up time
   * measured a quick run's points while both processes' C2 compilers still took most of a core (16 B
   * p50 from 0.8 to 68 µs from one run to the next, server streaming at a seventh of its full-run rate);
   * a point that is still improving at the cap says so.
   */
  private void warmUntilSteady(Result r, WarmupSlice slice) throws InterruptedException {
    long start = System.nanoTime();
    long least = start + mode.warmup.toNanos();
    long cap = start + mode.warmupCap.toNanos();
    long sliceNanos = TimeUnit.MILLISECONDS.toNanos(WARMUP_SLICE_MILLIS);
    Steadiness steadiness = new Steadiness();
    long now = start;
    boolean steady;
    do {
      long sliceStart = now;
      steady = steadiness.slice(slice.run(sliceStart + sliceNanos), sliceStart);
      now = System.nanoTime();
    } while (now - cap < 0 && (now - least < 0 || !steady));
    r.put("warmup", now - start).put("warmSteady", steady);
  }

  /**
   * The warm-up rule, slice by slice: the best time per unit of work so far, how many slices in a row
   * were no better than it by 5%, and how many in a row the compilers were quiet in.
   */
  private static final class Steadiness {
    double best = Double.MAX_VALUE;
    private int noBetter;
    private int quiet;
    private long jit = ProcCpu.compilerNanos();

    /** One slice that began at {@code sliceStart} took {@code perUnit} ns per unit: true once steady. */
    boolean slice(double perUnit, long sliceStart) {
      if (perUnit < best * 0.95) {
        best = perUnit;
        noBetter = 0;
      } else {
        noBetter++;
      }
      long jitNow = ProcCpu.compilerNanos();
      quiet = (jitNow - jit) * 100 < QUIET_JIT_PERCENT * (System.nanoTime() - sliceStart) ? quiet + 1 : 0;
      jit = jitNow;
      return reached();
    }

    boolean reached() {
      return noBetter >= 3 && quiet >= QUIET_SLICES;
    }
  }

  /**
   * Records in {@code r} the compilers' CPU while a point was measured, as a share of the measured time
   * ({@code jitShare}; see {@link #warmUntilSteady}).
   */
  private static void recordJit(Result r, long jitBefore, long start) {
    long used = ProcCpu.compilerNanos() - jitBefore;
    r.put("jitShare", Math.round(used * 1e4 / Math.max(1, System.nanoTime() - start)) / 1e4);
  }

  /** Round trips of {@code size}-byte requests through blocking calls. */
  Result latency(String series, EchoClient client, int size) throws InterruptedException {
    Payload request = Payloads.ofSize(size);
    Payload first = client.unary(request);
    if (!first.equals(request)) {
      throw new IllegalStateException(series + ": the echo of a " + Payloads.label(size) + " request came back different");
    }
    return roundTrips(Result.of("latency", series).put("size", size), () -> check(client.unary(request), request));
  }

  /**
   * As {@link #latency}, with raw bytes received in place on both sides ({@code dev.spoke.ZeroCopy}):
   * each response is released as soon as its size is checked.
   */
  Result zeroCopyLatency(String series, EchoClient client, int size) throws InterruptedException {
    // The same bytes on the wire as the protobuf echo of this size: the serialized Payload, as raw bytes.
    ByteBuffer request = ByteBuffer.wrap(Payloads.ofSize(size).toByteArray()).asReadOnlyBuffer();
    Runnable call = () -> {
      int n = client.rawUnary(request);
      if (n != size) {
        throw new IllegalStateException("a response of " + n + " bytes to a request of " + size);
      }
    };
    call.run();
    return roundTrips(Result.of("zerocopy", series).put("size", size), call);
  }

  /** Warms {@code call} until steady, then measures its round trips into {@code r}. */
  private Result roundTrips(Result r, Runnable call) throws InterruptedException {
    warmUntilSteady(r, sliceEnd -> {
      long t0 = System.nanoTime();
      int calls = 0;
      do {
        call.run();
        calls++;
      } while (System.nanoTime() - sliceEnd < 0);
      return (System.nanoTime() - t0) / (double) calls;
    });
    Histogram all = histogram();
    Histogram[] slices = new Histogram[SLICES];
    for (int i = 0; i < SLICES; i++) {
      slices[i] = histogram();
    }
    long measureNanos = mode.measure.toNanos();
    long maxNanos = mode.maxMeasure().toNanos();
    long jit = ProcCpu.compilerNanos();
    long start = System.nanoTime();
    for (long n = 0; ; n++) {
      long t0 = System.nanoTime();
      call.run();
      long t1 = System.nanoTime();
      record(all, t1 - t0);
      record(slices[(int) Math.min(SLICES - 1, (t0 - start) * SLICES / measureNanos)], t1 - t0);
      long elapsed = t1 - start;
      if ((elapsed >= measureNanos && n + 1 >= mode.minSamples) || elapsed >= maxNanos) {
        break;
      }
    }
    recordJit(r, jit, start);
    percentiles(r, all);
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
    Result r = Result.of("throughput", series).put("size", size).put("inflight", inFlight);
    warmUntilSteady(r, sliceEnd -> {
      long c = completed.get();
      long t = System.nanoTime();
      sleepUntil(sliceEnd);
      long done = completed.get() - c;
      if (failure.get() != null) {
        throw new IllegalStateException("a call failed during " + series + "'s warm-up", failure.get());
      }
      return done == 0 ? Double.MAX_VALUE : (System.nanoTime() - t) / (double) done;
    });
    long sliceNanos = mode.measure.toNanos() / SLICES;
    long jit = ProcCpu.compilerNanos();
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
    recordJit(r, jit, t0);
    loop.stop = true;
    drain(outstanding, failure, series + "'s throughput run");
    double rate = (prevCount - c0) * 1e9 / (prevTime - t0);
    return r.put("n", prevCount - c0).put("rate", Math.round(rate)).put("rateMin", Math.round(lo)).put("rateMax", Math.round(hi));
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
  Result stream(String series, EchoClient client) throws InterruptedException {
    Payload request = Payloads.ofSize(Payloads.STREAM_SIZE, Payloads.STREAM_MESSAGES);
    Result r = Result.of("stream", series).put("size", Payloads.STREAM_SIZE);
    warmUntilSteady(r, sliceEnd -> {
      long t0 = System.nanoTime();
      long messages = 0;
      do {
        messages += streamOnce(client, request);
      } while (System.nanoTime() - sliceEnd < 0);
      return (System.nanoTime() - t0) / (double) messages;
    });
    long jit = ProcCpu.compilerNanos();
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
    recordJit(r, jit, start);
    double rate = messages * 1e9 / (now - start);
    return r.put("n", messages)
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
