package dev.spoke.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/** Every result of one run, looked up by what it measured. Not thread-safe. */
final class Results {

  private final List<Result> all = new ArrayList<>();

  /** The results saved in {@code file}, one encoded {@link Result} a line. */
  static Results load(Path file) throws IOException {
    Results results = new Results();
    for (String line : Files.readAllLines(file)) {
      Result r = Result.decode(line);
      if (r != null) {
        results.all.add(r);
      }
    }
    return results;
  }

  Results addAll(Collection<Result> results) {
    all.addAll(results);
    return this;
  }

  List<Result> all() {
    return all;
  }

  Optional<Result> find(String metric, String series, Predicate<Result> where) {
    return all.stream()
        .filter(r -> metric.equals(r.metric()) && Objects.equals(series, r.series()) && where.test(r))
        .findFirst();
  }

  Optional<Result> latency(Series s, long size) {
    return find("latency", s.key, r -> r.size() == size);
  }

  /** Unary latency of raw bytes received in place (zero-copy receive), {@code size} bytes each way. */
  Optional<Result> zeroCopy(Series s, long size) {
    return find("zerocopy", s.key, r -> r.size() == size);
  }

  Optional<Result> throughput(Series s, int inFlight) {
    return find("throughput", s.key, r -> r.number("inflight").orElse(-1) == inFlight);
  }

  Optional<Result> bursty(Series s, int gapMicros) {
    return find("bursty", s.key, r -> r.number("gap").orElse(-1) == gapMicros);
  }

  Optional<Result> stream(Series s) {
    return find("stream", s.key, r -> true);
  }

  Optional<Result> spin() {
    return find("spin", "floor.spin", r -> true);
  }

  /** Copy bandwidth (bytes/s) that applies to payloads of {@code size}: the 16 MiB figure above 1 MiB. */
  double copyBandwidth(long size) {
    long probe = size > (1 << 20) ? 16 << 20 : 1 << 20;
    return find("copy", "floor.copy", r -> r.size() == probe).map(r -> r.num("bytesPerSecond")).orElse(Double.NaN);
  }

  /**
   * Whether the spin ping-pong measured the machine rather than its scheduler. A cache line crosses
   * between two cores in well under a microsecond; a p50 above {@value #SPIN_DISTURBED_NANOS} ns means
   * the two spinning processes did not each have a CPU (other work was running), and the figure is no
   * floor.
   */
  boolean spinValid() {
    return spin().map(r -> r.num("p50") <= SPIN_DISTURBED_NANOS).orElse(false);
  }

  static final long SPIN_DISTURBED_NANOS = 5_000;

  /** The spin ping-pong's round trip at {@code percentile}, or NaN if it is missing or disturbed. */
  double spinNanos(String percentile) {
    return spinValid() ? spin().get().num(percentile) : Double.NaN;
  }

  /**
   * The least a round trip of {@code size} bytes each way can take here, at a percentile of the spin
   * ping-pong: one hand-off each way, plus one copy of the payload each way at the measured bandwidth.
   * Without a valid spin figure, payloads of 64 KiB and more, whose copies outweigh a hand-off many
   * times, have their copies alone as the floor, and smaller ones none.
   */
  double floorNanos(long size, String percentile) {
    double spin = spinNanos(percentile);
    double copies = size <= 16 ? 0 : 2.0 * size * 1e9 / copyBandwidth(size);
    if (Double.isNaN(spin)) {
      return size >= (64 << 10) ? copies : Double.NaN;
    }
    return spin + copies;
  }

  /** The idle CPU of a host and its plugins with {@code strategy}; {@code NONE}: of JVMs without Spoke. */
  Optional<Result> idle(String strategy) {
    return find("idle", strategy.equals("NONE") ? IdleSuite.FLOOR_SERIES : "spoke.idle." + strategy, r -> true);
  }

  Optional<Result> launch(String strategy) {
    return find("launch", "spoke.idle." + strategy, r -> true);
  }

  Optional<Result> jmh(String benchmark, long size) {
    return find("jmh", benchmark, r -> r.size() == size);
  }

  /** The best (lowest) p50 among {@code candidates} at {@code size}. */
  Optional<Result> bestLatency(List<Series> candidates, long size) {
    return candidates.stream().map(s -> latency(s, size)).flatMap(Optional::stream)
        .min((a, b) -> Double.compare(a.num("p50"), b.num("p50")));
  }

  /** The best (highest) throughput among {@code candidates}. */
  Optional<Result> bestThroughput(List<Series> candidates, int inFlight) {
    return candidates.stream().map(s -> throughput(s, inFlight)).flatMap(Optional::stream)
        .max((a, b) -> Double.compare(a.num("rate"), b.num("rate")));
  }

  List<Result> failures() {
    return all.stream().filter(r -> "failure".equals(r.metric())).toList();
  }

  static Series series(Result r) {
    for (Series s : Series.values()) {
      if (s.key.equals(r.series())) {
        return s;
      }
    }
    throw new IllegalArgumentException("no series " + r.series());
  }
}
