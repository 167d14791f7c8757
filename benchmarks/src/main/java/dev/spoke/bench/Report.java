package dev.spoke.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns a run's {@link Results} into Markdown: the summary tables with their ratios (printed on the
 * console and put in docs/BENCHMARKS.md), where each target stands, and the full details (docs only).
 * A figure that is missing (its suite failed or did not run) prints as {@code —}.
 */
final class Report {

  static final List<Integer> IN_FLIGHT = List.of(1, 8, 64);
  /** The pauses before each call of the bursty scenario, µs. */
  static final List<Integer> GAPS_MICROS = List.of(0, 10, 100, 1_000, 10_000);
  /** The idle hosts, in the order they start; NONE is the floor: JVMs without Spoke. */
  static final List<String> IDLE_STRATEGIES = List.of("BALANCED", "LOW_CPU", "NONE");

  private static final String NONE = "—";
  /** How far quick mode's 16 B p50 may be from full mode's: the target. */
  private static final double QUICK_FULL_TOLERANCE = 0.30;
  /**
   * How much larger one run's spin floor may be than the other's for the two runs to count as taken at
   * one machine speed: the target's own tolerance, as a speed change that large could explain a miss.
   */
  private static final double SPIN_FLOOR_TOLERANCE = 0.30;

  private final Results results;
  /** The last whole run of the other mode (quick beside full), or null. */
  private final Results otherMode;

  Report(Results results) {
    this(results, null);
  }

  Report(Results results, Results otherMode) {
    this.results = results;
    this.otherMode = otherMode;
  }

  // ---------------------------------------------------------------------------------------------
  // Summary

  String summary() {
    return "### Unary round trip, µs (p50 / p99)\n\n" + latencyTable()
        + "\nSpoke ÷ gRPC: " + Series.HEADLINE.label + " p50 ÷ the better p50 of gRPC over a Unix socket (direct or "
        + "default executor). Floor: the spin ping-pong, plus one copy of the payload each way at the measured copy "
        + "bandwidth. Spoke over gRPC: Spoke's generated stubs and Echo service through spoke-grpc, on the same "
        + "gRPC-java server and channel as the gRPC TCP column before it, so the two differ by the bridge alone."
        + spinWarning() + "\n"
        + "\n### Throughput: 16 B unary calls per second, by calls in flight\n\n" + throughputTable()
        + "\nSpoke ÷ best gRPC: " + Series.HEADLINE.label + " ÷ the best of the four gRPC configurations, here and below.\n"
        + "\n### Bursty: a 16 B unary call after each pause, µs (p50 / p99)\n\n" + burstyTable()
        + "\nPauses under 100 µs are spun by the caller, longer ones parked: the receive threads on both sides have "
        + "gone quiet before each call.\n"
        + "\n### Server streaming: 1 KiB messages per second\n\n" + streamTable()
        + "\n### Idle plugins and launch\n\n" + idleTable() + "\n" + launchTable()
        + "\n### The machine's floors\n\n" + floorTable()
        + "\n### In-process micro-benchmarks (JMH, 16 B)\n\n" + jmhTable(16)
        + "\n### Targets\n\n" + targetTable();
  }

  private String latencyTable() {
    List<String> header = new ArrayList<>(List.of("payload"));
    Series.COLUMNS.forEach(s -> header.add(s.label));
    header.addAll(List.of("floor", "Spoke ÷ gRPC UDS", "Spoke ÷ floor"));
    MarkdownTable t = new MarkdownTable(header);
    for (int size : Payloads.UNARY_SIZES) {
      List<String> row = new ArrayList<>(List.of(Payloads.label(size)));
      for (Series s : Series.COLUMNS) {
        row.add(results.latency(s, size).map(r -> Format.micros(r.num("p50")) + " / " + Format.micros(r.num("p99"))).orElse(NONE));
      }
      double floor50 = results.floorNanos(size, "p50");
      row.add(Format.micros(floor50) + " / " + Format.micros(results.floorNanos(size, "p99")));
      double spoke = p50(results.latency(Series.HEADLINE, size));
      row.add(Format.ratio(spoke, p50(results.bestLatency(udsSeries(), size))));
      row.add(Format.ratio(spoke, floor50));
      t.row(row);
    }
    for (int size : Payloads.ZERO_COPY_SIZES) {
      Optional<Result> zero = results.zeroCopy(Series.HEADLINE, size);
      if (zero.isEmpty()) {
        continue;
      }
      List<String> row = new ArrayList<>(List.of(Payloads.label(size) + ", zero-copy raw bytes"));
      for (Series s : Series.COLUMNS) {
        row.add(s == Series.HEADLINE ? Format.micros(zero.get().num("p50")) + " / " + Format.micros(zero.get().num("p99")) : NONE);
      }
      row.add(NONE); // the floor above counts a copy out of the slot each way, which this path does not make
      row.add(Format.ratio(p50(zero), p50(results.bestLatency(udsSeries(), size))));
      row.add(NONE);
      t.row(row);
    }
    return t.toString();
  }

  /** A note when the spin floor was disturbed, empty otherwise. */
  private String spinWarning() {
    return results.spin().isEmpty() || results.spinValid() ? ""
        : " **The spin floor was disturbed** (p50 " + Format.micros(results.spin().get().num("p50")) + " µs: the two "
            + "spinning processes did not have a CPU each, so other work was running): it is left out, and the floor of "
            + "large payloads is their copies alone.";
  }

  private String throughputTable() {
    List<String> header = new ArrayList<>(List.of("in flight"));
    Series.COLUMNS.forEach(s -> header.add(s.label));
    header.add("Spoke ÷ best gRPC");
    MarkdownTable t = new MarkdownTable(header);
    for (int n : IN_FLIGHT) {
      List<String> row = new ArrayList<>(List.of(String.valueOf(n)));
      for (Series s : Series.COLUMNS) {
        row.add(results.throughput(s, n).map(r -> Format.count(r.num("rate"))).orElse(NONE));
      }
      row.add(Format.ratio(rate(results.throughput(Series.HEADLINE, n)), rate(results.bestThroughput(grpcSeries(), n))));
      t.row(row);
    }
    return t.toString();
  }

  private String burstyTable() {
    List<String> header = new ArrayList<>(List.of("pause"));
    Series.COLUMNS.forEach(c -> header.add(c.label));
    MarkdownTable t = new MarkdownTable(header);
    for (int gap : GAPS_MICROS) {
      List<String> row = new ArrayList<>(List.of(gap == 0 ? "none" : Format.micros(gap * 1000.0) + " µs"));
      for (Series c : Series.COLUMNS) {
        row.add(results.bursty(c, gap).map(r -> Format.micros(r.num("p50")) + " / " + Format.micros(r.num("p99"))).orElse(NONE));
      }
      t.row(row);
    }
    return t.toString();
  }

  private String streamTable() {
    List<String> header = new ArrayList<>(List.of(""));
    Series.COLUMNS.forEach(s -> header.add(s.label));
    header.add("Spoke ÷ best gRPC");
    MarkdownTable t = new MarkdownTable(header);
    List<String> row = new ArrayList<>(List.of("messages/s"));
    double best = 0;
    for (Series s : Series.COLUMNS) {
      Optional<Result> r = results.stream(s);
      row.add(r.map(x -> Format.count(x.num("rate"))).orElse(NONE));
      if (s.isGrpc()) {
        best = Math.max(best, rate(r));
      }
    }
    row.add(Format.ratio(rate(results.stream(Series.HEADLINE)), best));
    return t.row(row).toString();
  }

  private String idleTable() {
    MarkdownTable t = new MarkdownTable("idle host", "plugins", "window", "CPU, % of one core", "host", "all plugins",
        "busiest plugin", "busiest threads");
    for (String strategy : IDLE_STRATEGIES) {
      String name = strategy.equals("NONE") ? "no Spoke: idle JVMs (the floor)" : strategy;
      results.idle(strategy).ifPresent(r -> t.row(name, String.valueOf((long) r.num("plugins")),
          Format.sig3(r.num("windowNanos") / 1e9) + " s", Format.percent(r.num("totalShare")),
          Format.percent(r.num("hostShare")), Format.percent(r.num("pluginsShare")),
          Format.percent(r.num("busiestPluginShare")), r.get("top")));
    }
    return t.isEmpty() ? NONE + "\n" : t.toString();
  }

  private String launchTable() {
    MarkdownTable t = new MarkdownTable("plugin launch to ready (one at a time), ms", "p50", "p90", "max", "launches");
    for (String strategy : List.of("BALANCED", "LOW_CPU")) {
      results.launch(strategy).ifPresent(r -> t.row(strategy, Format.sig3(r.num("p50") / 1e6),
          Format.sig3(r.num("p90") / 1e6), Format.sig3(r.num("max") / 1e6), String.valueOf((long) r.num("n"))));
    }
    return t.isEmpty() ? NONE + "\n" : t.toString();
  }

  private String floorTable() {
    MarkdownTable t = new MarkdownTable("floor", "figure");
    t.row("shared-memory spin ping-pong between two JVMs, round trip p50 / p99 / p99.9",
        results.spin().map(r -> Format.micros(r.num("p50")) + " / " + Format.micros(r.num("p99")) + " / "
            + Format.micros(r.num("p999")) + " µs").orElse(NONE));
    for (long size : List.of(1L << 20, 16L << 20)) {
      t.row("single-thread copy heap ↔ mapped file, " + Payloads.label(size),
          results.find("copy", "floor.copy", r -> r.size() == size)
              .map(r -> Format.micros(r.num("nanos")) + " µs (" + Format.sig3(r.num("bytesPerSecond") / 1e9) + " GB/s)")
              .orElse(NONE));
    }
    return t.toString();
  }

  private String jmhTable(long onlySize) {
    MarkdownTable t = new MarkdownTable("benchmark", "payload", "ns/op", "± (99.9%)", "bytes allocated/op");
    for (Result r : results.all()) {
      if (!"jmh".equals(r.metric()) || (onlySize > 0 && r.size() >= 0 && r.size() != onlySize)) {
        continue;
      }
      t.row(r.series() + (r.num("threads") > 1 ? " (" + (long) r.num("threads") + " threads)" : ""),
          r.size() < 0 ? "" : Payloads.label(r.size()), Format.sig3(r.num("score")), Format.sig3(r.num("error")),
          r.number("allocPerOp").isPresent() ? Format.sig3(r.num("allocPerOp")) : NONE);
    }
    return t.isEmpty() ? NONE + "\n" : t.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Targets

  /** Where a target stands. */
  enum Standing {
    MET("met"), NOT_MET("**not met**"), NO_DATA("no data"),
    /** The two runs compared were taken while the machine ran at different speeds. */
    NOT_COMPARABLE("not comparable");

    final String text;

    Standing(String text) {
      this.text = text;
    }

    static Standing of(double value, boolean met) {
      return Double.isNaN(value) ? NO_DATA : met ? MET : NOT_MET;
    }
  }

  static final class Target {
    final String goal;
    final String measured;
    final Standing standing;

    Target(String goal, String measured, Standing standing) {
      this.goal = goal;
      this.measured = measured;
      this.standing = standing;
    }
  }

  List<Target> targets() {
    List<Target> out = new ArrayList<>();
    String spoke = Series.HEADLINE.label;

    Optional<Result> small = results.latency(Series.HEADLINE, 16);
    Optional<Result> uds = results.bestLatency(udsSeries(), 16);
    double speedup = p50(uds) / p50(small);
    out.add(new Target("16 B unary p50 ≥ 50× lower than gRPC over a Unix socket",
        times(speedup) + ": " + spoke + " " + us(small) + " vs " + label(uds) + " " + us(uds), Standing.of(speedup, speedup >= 50)));

    double floor = results.spinNanos("p50");
    double overSpin = p50(small) / floor;
    Optional<Result> spin = results.latency(Series.SPOKE_DIRECT_SPIN, 16);
    out.add(new Target("16 B unary p50 within 10× of the spin floor (direct-executor service)",
        results.spinValid()
            ? times(overSpin) + " the floor (" + us(small) + " vs " + us(results.spin()) + "); busy-spin: "
                + times(p50(spin) / floor)
            : "the spin floor was disturbed (" + us(results.spin()) + ")",
        Standing.of(overSpin, overSpin <= 10)));

    double tp = rate(results.throughput(Series.HEADLINE, 64)) / rate(results.bestThroughput(grpcSeries(), 64));
    out.add(new Target("throughput with 64 in flight ≥ 20× gRPC",
        times(tp) + ": " + Format.count(rate(results.throughput(Series.HEADLINE, 64))) + " vs "
            + label(results.bestThroughput(grpcSeries(), 64)) + " " + Format.count(rate(results.bestThroughput(grpcSeries(), 64)))
            + " calls/s", Standing.of(tp, tp >= 20)));

    Optional<Result> byDefault = results.latency(Series.SPOKE_POOL, 16);
    double overDirect = p50(byDefault) / p50(small);
    double defaultSpeedup = p50(uds) / p50(byDefault);
    out.add(new Target("16 B unary p50 with the default executors ≤ 2× " + spoke + " and ≥ 50× lower than gRPC over a Unix socket",
        times(overDirect) + " " + spoke + " (" + us(byDefault) + " vs " + us(small) + "); " + times(defaultSpeedup) + " lower than "
            + label(uds) + " " + us(uds),
        Standing.of(overDirect + defaultSpeedup, overDirect <= 2 && defaultSpeedup >= 50)));

    Optional<Result> defaultRate = results.throughput(Series.SPOKE_POOL, 64);
    double defaultTp = rate(defaultRate) / rate(results.bestThroughput(grpcSeries(), 64));
    out.add(new Target("throughput with 64 in flight and the default executors ≥ 1,000,000 calls/s and ≥ 10× gRPC",
        Format.count(rate(defaultRate)) + " calls/s, " + times(defaultTp) + " " + label(results.bestThroughput(grpcSeries(), 64)),
        Standing.of(defaultTp, rate(defaultRate) >= 1_000_000 && defaultTp >= 10)));

    double tail = value(small, r -> r.num("p99")) / p50(small);
    out.add(new Target("16 B unary p99 ≤ 5× p50 (" + spoke + ")",
        times(tail) + ": p99 " + Format.micros(value(small, r -> r.num("p99"))) + " µs, p50 " + us(small),
        Standing.of(tail, tail <= 5)));

    out.add(busySpinTarget());
    out.add(quickModeTarget());

    Optional<Result> burstDefault = results.bursty(Series.SPOKE_POOL, 100);
    Optional<Result> burstDirect = results.bursty(Series.HEADLINE, 100);
    double burst = p50(burstDefault);
    out.add(new Target("bursty: 16 B unary p50 ≤ 5 µs with 100 µs pauses, default executors",
        us(burstDefault) + " (" + Series.HEADLINE.label + ": " + us(burstDirect) + ")",
        Standing.of(burst / 1000, burst <= 5_000)));

    for (int size : List.of(1 << 20, 16 << 20)) {
      Optional<Result> s = results.latency(Series.HEADLINE, size);
      Optional<Result> g = results.bestLatency(grpcSeries(), size);
      double x = p50(g) / p50(s);
      out.add(new Target(Payloads.label(size) + " round trip ≥ 10× faster than gRPC",
          times(x) + ": " + us(s) + " vs " + label(g) + " " + us(g), Standing.of(x, x >= 10)));
    }

    long big = 16 << 20;
    double effective = 2.0 * big * 1e9 / p50(results.latency(Series.HEADLINE, big));
    double share = effective / results.copyBandwidth(big);
    out.add(new Target("16 MiB round trip at ≥ 50% of the copy bandwidth",
        Format.percent(share) + ": 32 MiB moved in " + us(results.latency(Series.HEADLINE, big)) + " = "
            + Format.sig3(effective / 1e9) + " GB/s vs " + Format.sig3(results.copyBandwidth(big) / 1e9) + " GB/s",
        Standing.of(share, share >= 0.5)));

    Optional<Result> zeroBig = results.zeroCopy(Series.HEADLINE, big);
    Optional<Result> zeroMeg = results.zeroCopy(Series.HEADLINE, 1 << 20);
    Optional<Result> grpcMeg = results.bestLatency(grpcSeries(), 1 << 20);
    double zeroShare = 2.0 * big * 1e9 / p50(zeroBig) / results.copyBandwidth(big);
    double zeroTimes = p50(grpcMeg) / p50(zeroMeg);
    out.add(new Target("zero-copy receive (raw bytes read in place; protobuf messages are always copied once): "
        + "16 MiB round trip at ≥ 60% of the copy bandwidth, 1 MiB ≥ 10× faster than gRPC",
        Format.percent(zeroShare) + " (" + us(zeroBig) + "); 1 MiB " + times(zeroTimes) + ": " + us(zeroMeg) + " vs "
            + label(grpcMeg) + " " + us(grpcMeg),
        Standing.of(Math.min(zeroShare / 0.6, zeroTimes / 10), zeroShare >= 0.6 && zeroTimes >= 10)));

    double call = allocPerOp("HubCallBenchmark.unary");
    // The least measured cost of owning a message that arrived: a copy out of the slot and a parse.
    double message = Math.min(allocPerOp("MarshallingBenchmark.parseBaseline"), allocPerOp("MarshallingBenchmark.parseSpoke"));
    double overhead = call - 2 * message;
    out.add(new Target("≤ 128 bytes allocated per unary call besides the request and response",
        Format.sig3(overhead) + " B: " + Format.sig3(call) + " B per 16 B call over the hub − 2 × " + Format.sig3(message)
            + " B per message received", Standing.of(overhead, overhead <= 128)));

    out.add(bridgeTarget());

    double cpu = results.idle("BALANCED").map(r -> r.num("totalShare")).orElse(Double.NaN);
    out.add(new Target("16 idle plugins (BALANCED) under 1% of one core in total",
        Format.percent(cpu) + " (LOW_CPU: " + idleShare("LOW_CPU") + "; 17 idle JVMs without Spoke: " + idleShare("NONE") + ")",
        Standing.of(cpu, cpu < 0.01)));
    double floorCpu = results.idle("NONE").map(r -> r.num("totalShare")).orElse(Double.NaN);
    double aboveFloor = cpu - floorCpu;
    out.add(new Target("16 idle plugins (BALANCED) within 0.1% of one core of 17 idle JVMs without Spoke",
        Format.percent(aboveFloor) + " of a core above them (" + Format.percent(cpu) + " vs " + Format.percent(floorCpu) + ")",
        Standing.of(aboveFloor, aboveFloor <= 0.001)));
    return out;
  }

  /**
   * Spoke over gRPC beside gRPC-java on the same transport and executors: 16 B p50 and the time per call
   * with 64 in flight (the inverse of calls per second), as ratios to gRPC-java's; the worst one counts.
   */
  private Target bridgeTarget() {
    List<String> parts = new ArrayList<>();
    double worst = Double.NaN;
    for (Series bridge : List.of(Series.BRIDGE_TCP_DIRECT, Series.BRIDGE_TCP)) {
      Series grpc = bridge.grpcTwin();
      double latency = p50(results.latency(bridge, 16)) / p50(results.latency(grpc, 16));
      double perCall = rate(results.throughput(grpc, 64)) / rate(results.throughput(bridge, 64));
      parts.add(bridge.label + ": p50 " + times(latency) + ", 64 in flight " + times(perCall));
      for (double x : new double[] {latency, perCall}) {
        if (!Double.isNaN(x) && (Double.isNaN(worst) || x > worst)) {
          worst = x;
        }
      }
    }
    return new Target("Spoke over gRPC within 10% of gRPC-java on the same transport (16 B p50, time per call with 64 in flight)",
        String.join("; ", parts) + " (each × gRPC-java's)", Standing.of(worst, worst <= 1.10));
  }

  /**
   * Busy-spin beside BALANCED, the same service and executors: every p50 and p99 of the unary sizes
   * (time, lower is better) and every throughput and the stream (rate, higher is better), each as how
   * many times worse busy-spin is; the worst one counts, and up to 10% is taken for noise.
   */
  private Target busySpinTarget() {
    double worst = Double.NaN;
    String where = NONE;
    for (int size : Payloads.UNARY_SIZES) {
      for (String p : List.of("p50", "p99")) {
        double x = value(results.latency(Series.SPOKE_DIRECT_SPIN, size), r -> r.num(p))
            / value(results.latency(Series.SPOKE_DIRECT, size), r -> r.num(p));
        if (!Double.isNaN(x) && (Double.isNaN(worst) || x > worst)) {
          worst = x;
          where = Payloads.label(size) + " " + p;
        }
      }
    }
    for (int n : IN_FLIGHT) {
      double x = rate(results.throughput(Series.SPOKE_DIRECT, n)) / rate(results.throughput(Series.SPOKE_DIRECT_SPIN, n));
      if (!Double.isNaN(x) && (Double.isNaN(worst) || x > worst)) {
        worst = x;
        where = n + " in flight";
      }
    }
    double streamed = rate(results.stream(Series.SPOKE_DIRECT)) / rate(results.stream(Series.SPOKE_DIRECT_SPIN));
    if (!Double.isNaN(streamed) && (Double.isNaN(worst) || streamed > worst)) {
      worst = streamed;
      where = "server streaming";
    }
    return new Target("busy-spin never worse than BALANCED (every latency percentile and rate above, within 10%)",
        Double.isNaN(worst) ? NONE : "worst point: " + where + ", busy-spin ÷ BALANCED " + times(worst) + " (times; rates inverted)",
        Standing.of(worst, worst <= 1.10));
  }

  /**
   * Quick mode beside full mode: the 16 B p50 of {@link Series#HEADLINE} in this run and in the last
   * whole run of the other mode saved beside it, which may be of another commit (both are named). Not
   * comparable if the two runs' spin floors differ by more than {@link #SPIN_FLOOR_TOLERANCE}: the
   * machine's speed changed. If either floor is missing or disturbed, the ratio alone judges.
   */
  private Target quickModeTarget() {
    String goal = "quick mode's 16 B unary p50 within " + Math.round(QUICK_FULL_TOLERANCE * 100) + "% of full mode's ("
        + Series.HEADLINE.label + ")";
    Result run = results.find("run", "run", r -> true).orElse(null);
    Result otherRun = otherMode == null ? null : otherMode.find("run", "run", r -> true).orElse(null);
    if (run == null || otherRun == null) {
      return new Target(goal, "no whole run of the other mode saved in benchmarks/target to compare with", Standing.NO_DATA);
    }
    boolean full = "full".equals(run.get("mode"));
    Results quick = full ? otherMode : results;
    Results whole = full ? results : otherMode;
    Optional<Result> quickResult = quick.latency(Series.HEADLINE, 16);
    Optional<Result> fullResult = whole.latency(Series.HEADLINE, 16);
    Result quickRun = full ? otherRun : run;
    Result fullRun = full ? run : otherRun;
    double ratio = p50(quickResult) / p50(fullResult);
    double apart = Math.abs(ratio - 1);
    String measured = "quick " + us(quickResult) + " (" + quickRun.get("date") + ", " + quickRun.get("commit") + ") vs full "
        + us(fullResult) + " (" + fullRun.get("date") + ", " + fullRun.get("commit") + "): " + times(ratio);
    double quickFloor = quick.spinNanos("p50");
    double fullFloor = whole.spinNanos("p50");
    double floors = Math.max(quickFloor, fullFloor) / Math.min(quickFloor, fullFloor);
    if (floors > 1 + SPIN_FLOOR_TOLERANCE) {
      // NOTE: a VM's speed can change between runs (where its vCPUs are placed, the host's own load).
      // The spin floor, measured in each run, shows it: a p50 taken at another speed says nothing of
      // what quick mode does to the figures.
      return new Target(goal, measured + "; but the spin floors differ (quick " + Format.micros(quickFloor) + " µs, full "
          + Format.micros(fullFloor) + " µs): the machine ran at another speed, so the two runs are not comparable",
          Double.isNaN(apart) ? Standing.NO_DATA : Standing.NOT_COMPARABLE);
    }
    return new Target(goal, measured, Standing.of(apart, apart <= QUICK_FULL_TOLERANCE));
  }

  private String targetTable() {
    MarkdownTable t = new MarkdownTable("target", "measured", "status");
    for (Target x : targets()) {
      t.row(x.goal, x.measured, x.standing.text);
    }
    return t.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Details

  private static void percentileRow(MarkdownTable t, String label, int size, Result r) {
    t.row(label, Payloads.label(size), micros(r, "p50"), micros(r, "p90"), micros(r, "p99"), micros(r, "p999"),
        micros(r, "max"), micros(r, "mean"), String.valueOf((long) r.num("n")), micros(r, "p50min") + " – " + micros(r, "p50max"));
  }

  String details() {
    StringBuilder sb = new StringBuilder();
    sb.append("### Unary round trip, every percentile (µs)\n\n");
    MarkdownTable t = new MarkdownTable("configuration", "payload", "p50", "p90", "p99", "p99.9", "max", "mean", "calls",
        "p50 across 5 slices");
    for (Series s : Series.COLUMNS) {
      for (int size : Payloads.UNARY_SIZES) {
        results.latency(s, size).ifPresent(r -> percentileRow(t, s.label, size, r));
      }
      for (int size : Payloads.ZERO_COPY_SIZES) {
        results.zeroCopy(s, size).ifPresent(r -> percentileRow(t, s.label + ", zero-copy raw bytes", size, r));
      }
    }
    sb.append(t).append("\n### Throughput, with its spread across 5 slices (calls/s)\n\n");
    MarkdownTable tp = new MarkdownTable("configuration", "in flight", "calls/s", "slowest – fastest slice", "calls");
    for (Series s : Series.COLUMNS) {
      for (int n : IN_FLIGHT) {
        results.throughput(s, n).ifPresent(r -> tp.row(s.label, String.valueOf(n), Format.count(r.num("rate")),
            Format.count(r.num("rateMin")) + " – " + Format.count(r.num("rateMax")), String.valueOf((long) r.num("n"))));
      }
    }
    sb.append(tp).append("\n### Server streaming, with its spread across calls (messages/s)\n\n");
    MarkdownTable st = new MarkdownTable("configuration", "messages/s", "MB/s", "slowest – fastest call", "messages");
    for (Series s : Series.COLUMNS) {
      results.stream(s).ifPresent(r -> st.row(s.label, Format.count(r.num("rate")),
          Format.sig3(r.num("rate") * r.num("size") / 1e6), Format.count(r.num("rateMin")) + " – " + Format.count(r.num("rateMax")),
          String.valueOf((long) r.num("n"))));
    }
    sb.append(st);
    List<String> unsteady = new ArrayList<>();
    for (Result r : results.all()) {
      boolean compiling = Scenarios.compiling(r);
      if (Scenarios.unsteady(r) || compiling) {
        unsteady.add(r.series() + " " + r.metric() + " " + (r.has("inflight") ? r.get("inflight") + " in flight" : Payloads.label(r.size()))
            + " (" + (Scenarios.unsteady(r) ? "not steady after " + Format.sig3(r.num("warmup") / 1e6) + " ms" : "")
            + (Scenarios.unsteady(r) && compiling ? "; " : "")
            + (compiling ? "compilers ran " + Format.percent(r.num("jitShare")) + " of the measured time" : "") + ")");
      }
    }
    sb.append("\nEach point warmed up until its figure was steady and the JIT compilers of both processes were quiet (see "
        + "\"Running it\"); ")
        .append(unsteady.isEmpty() ? "every point got there, and no compiler ran more than 5% of a point's measured time."
            : "these points did not, or the compilers ran more than 5% of the time they were measured: " + String.join("; ", unsteady) + ".")
        .append("\n\n### In-process micro-benchmarks (JMH), all\n\n").append(jmhTable(-1));
    List<Result> failures = results.failures();
    if (!failures.isEmpty()) {
      sb.append("\n### Failures\n\n");
      MarkdownTable f = new MarkdownTable("suite", "what", "error");
      failures.forEach(r -> f.row(r.series(), String.valueOf(r.get("what")), String.valueOf(r.get("error")).replace("|", "\\|")));
      sb.append(f);
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------

  private static List<Series> udsSeries() {
    return Series.COLUMNS.stream().filter(Series::isUds).toList();
  }

  private static List<Series> grpcSeries() {
    return Series.COLUMNS.stream().filter(Series::isGrpc).toList();
  }

  /** Bytes a JMH benchmark allocated per operation at 16 B, or NaN if it did not run. */
  private double allocPerOp(String benchmark) {
    return results.jmh(benchmark, 16).map(r -> r.num("allocPerOp")).orElse(Double.NaN);
  }

  private String idleShare(String strategy) {
    return results.idle(strategy).map(r -> Format.percent(r.num("totalShare"))).orElse(NONE);
  }

  private static double p50(Optional<Result> r) {
    return value(r, x -> x.num("p50"));
  }

  private static double rate(Optional<Result> r) {
    return value(r, x -> x.num("rate"));
  }

  private static double value(Optional<Result> r, Function<Result, Double> f) {
    return r.map(f).orElse(Double.NaN);
  }

  private static String us(Optional<Result> r) {
    return r.map(x -> Format.micros(x.num("p50")) + " µs").orElse(NONE);
  }

  private static String label(Optional<Result> r) {
    return r.map(x -> Results.series(x).label).orElse("gRPC");
  }

  private static String micros(Result r, String key) {
    return r.number(key).isPresent() ? Format.micros(r.num(key)) : NONE;
  }

  private static String times(double x) {
    return Double.isNaN(x) ? NONE : Format.sig3(x) + "×";
  }
}
