package dev.spoke.bench;

/**
 * The client half of every RPC suite, the same for both frameworks: unary latency per payload size,
 * throughput per number of calls in flight, server-streaming throughput. Each figure is printed as a
 * {@link Result} as soon as it is measured; a point that fails is reported as a failure and the next
 * one runs.
 */
final class Scenarios {

  private Scenarios() {}

  /**
   * Runs what {@code args} asks for: {@code --sizes=16,1k,...}, {@code --inflight=1,8,64},
   * {@code --gaps=0,10,100} (µs between bursty calls), {@code --stream=true}, {@code --zerocopy=1m,16m}
   * (unary latency of raw bytes received in place; Spoke only).
   */
  static void run(String series, EchoClient client, Args args) throws InterruptedException {
    Measure m = new Measure(args.mode());
    System.out.printf("%s: warmed up: %s%n", series, m.warmUp(client));
    for (int size : args.getInts("sizes")) {
      point(series, "latency", size, () -> m.latency(series, client, size));
    }
    for (int size : args.getInts("zerocopy")) {
      point(series, "zerocopy", size, () -> m.zeroCopyLatency(series, client, size));
    }
    for (int inFlight : args.getInts("inflight")) {
      point(series, "throughput", inFlight, () -> m.throughput(series, client, Payloads.THROUGHPUT_SIZE, inFlight));
    }
    for (int gap : args.getInts("gaps")) {
      point(series, "bursty", gap, () -> m.bursty(series, client, gap));
    }
    if (args.flag("stream")) {
      point(series, "stream", Payloads.STREAM_SIZE, () -> m.stream(series, client));
    }
    if (Thread.interrupted()) {
      throw new InterruptedException();
    }
  }

  /** One measured point. */
  private interface Measurement {
    Result get() throws InterruptedException;
  }

  private static void point(String series, String metric, int param, Measurement measurement) throws InterruptedException {
    try {
      Result r = measurement.get();
      r.emit();
      System.out.println(describe(r));
    } catch (RuntimeException e) {
      failure(series, metric + " " + param, e).emit();
      System.out.println(series + ": " + metric + " " + param + " FAILED: " + e);
      e.printStackTrace(System.out);
    }
  }

  static Result failure(String series, String what, Throwable e) {
    String msg = String.valueOf(e).replace('\t', ' ').replace('\n', ' ');
    return Result.of("failure", series).put("what", what).put("error", msg.length() > 300 ? msg.substring(0, 300) + "…" : msg);
  }

  /** One progress line for the console. */
  static String describe(Result r) {
    return figure(r) + (unsteady(r) ? "  [not steady after " + Format.sig3(r.num("warmup") / 1e6) + " ms of warm-up]" : "")
        + (compiling(r) ? "  [JIT compilers ran " + Format.percent(r.num("jitShare")) + " of the time measured]" : "");
  }

  /** Whether the compilers ran more than {@link #JIT_NOTED} of the time a point was measured. */
  static boolean compiling(Result r) {
    return r.has("jitShare") && r.num("jitShare") > JIT_NOTED;
  }

  /** The compilers' share of a point's measured time beyond which the console says so. */
  static final double JIT_NOTED = 0.05;

  /** Whether a point's warm-up reached its cap with its figure still improving or the JIT still compiling. */
  static boolean unsteady(Result r) {
    return r.has("warmSteady") && !Boolean.parseBoolean(r.get("warmSteady"));
  }

  private static String figure(Result r) {
    switch (r.metric()) {
      case "latency":
      case "zerocopy":
        return String.format("%-24s %-6s %-7s p50 %9s  p99 %9s  p99.9 %9s  (n=%d)", r.series(),
            r.metric().equals("zerocopy") ? "0-copy" : "unary", Payloads.label(r.size()),
            Format.micros(r.num("p50")), Format.micros(r.num("p99")), Format.micros(r.num("p999")), (long) r.num("n"));
      case "throughput":
        return String.format("%-24s %2d in flight  %12s calls/s  (slices %s..%s)", r.series(), (long) r.num("inflight"),
            Format.count(r.num("rate")), Format.count(r.num("rateMin")), Format.count(r.num("rateMax")));
      case "bursty":
        return String.format("%-24s 16 B after %6d µs  p50 %9s  p99 %9s  (n=%d)", r.series(), (long) r.num("gap"),
            Format.micros(r.num("p50")), Format.micros(r.num("p99")), (long) r.num("n"));
      case "stream":
        return String.format("%-24s stream of %s  %12s msgs/s", r.series(), Payloads.label(r.size()), Format.count(r.num("rate")));
      default:
        return r.toString();
    }
  }
}
