package dev.spoke.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The harness: runs every suite, each in JVMs of its own, one after another, then prints the summary
 * tables and writes docs/BENCHMARKS.md, its latency chart, and the raw results.
 *
 * <pre>
 * Bench [quick|full|smoke] [--only=floor,spoke,grpc,bridge,jmh,idle] [--docs=DIR] [--work=DIR] [--no-docs]
 *       (docs/ by default; a partial run, with --only, writes documents only where --docs says)
 *       [--command=TEXT] [--commit=TEXT]
 * Bench --from=benchmarks/target/bench-results.tsv [--docs=DIR]     (renders a saved run again)
 * </pre>
 *
 * <p>{@code benchmarks/run} builds the modules and starts this with the right class path.
 */
public final class Bench {

  static final List<String> SUITES = List.of("floor", "spoke", "grpc", "bridge", "jmh", "idle");
  static final String CHART_FILE = "benchmarks-latency.svg";

  private static final long START = System.nanoTime();

  private Bench() {}

  /** Time since the harness started, for the progress lines: {@code 1:05}. */
  static String elapsed() {
    long s = (System.nanoTime() - START) / 1_000_000_000L;
    return String.format("%d:%02d", s / 60, s % 60);
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Path docs = Path.of(args.get("docs", "docs"));
    Path work = Path.of(args.get("work", "benchmarks/target"));
    Results results;
    if (args.has("from")) {
      results = Results.load(Path.of(args.get("from")));
    } else {
      results = measure(args, work);
    }
    Result run = results.find("run", "run", r -> true)
        .orElseThrow(() -> new IllegalArgumentException("no run description among the results"));
    Report report = new Report(results, otherMode(work, Mode.parse(run.get("mode"))));
    System.out.println();
    System.out.println(report.summary());
    machineLines(run).forEach(System.out::println);
    System.out.println(run.get("status"));
    if (args.has("only") && !args.has("docs")) {
      System.out.println("A partial run (--only): docs/BENCHMARKS.md is left as it was; --docs=DIR writes it.");
    } else if (!args.flag("no-docs")) {
      Files.createDirectories(docs);
      Files.writeString(docs.resolve(CHART_FILE), new Chart(results).svg(run.get("title")));
      Files.writeString(docs.resolve("BENCHMARKS.md"), document(run, report));
      System.out.println("Wrote " + docs.resolve("BENCHMARKS.md") + " and " + docs.resolve(CHART_FILE));
    }
    System.exit(results.failures().isEmpty() ? 0 : 1);
  }

  /** Runs the suites; returns their results with a description of the run, also saved in {@code work}. */
  static Results measure(Args args, Path work) throws IOException, InterruptedException {
    Mode mode = args.words().isEmpty() ? Mode.QUICK : Mode.parse(args.words().get(0));
    Set<String> only = Arrays.stream(args.get("only", String.join(",", SUITES)).split(","))
        .map(String::trim).collect(Collectors.toSet());
    Files.createDirectories(work);
    Machine machine = Machine.start();
    System.out.println("Spoke benchmarks, " + mode.id() + " mode");
    machine.describe().stream().limit(4).forEach(l -> System.out.println("  " + l));
    System.out.println("  Load average (1, 5, 15 min): " + machine.loadBefore);
    Results results = run(mode, only, work);
    machine.finish();
    Result run = Result.of("run", "run")
        .put("mode", mode.id())
        .put("command", args.get("command", "java " + Bench.class.getName() + " " + mode.id()))
        .put("commit", args.get("commit", "unknown"))
        .put("date", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
        .put("status", status(mode, machine))
        .put("title", "Unary round trip by payload size (" + mode.id() + " run, " + machine.cpu + ", " + machine.cores + " CPUs)");
    List<String> lines = machine.describe();
    for (int i = 0; i < lines.size(); i++) {
      run.put("machine" + i, lines.get(i));
    }
    results.all().add(run);
    Path saved = work.resolve("bench-results.tsv");
    String encoded = results.all().stream().map(Result::encode).collect(Collectors.joining("\n", "", "\n"));
    Files.writeString(saved, encoded);
    if (only.containsAll(SUITES)) {
      // Kept per mode, so that a run of the other mode can tell how far the two agree.
      Files.writeString(savedForMode(work, mode), encoded);
    }
    System.out.println("Raw results: " + saved + " (render them again with --from=" + saved + ")");
    return results;
  }

  private static Path savedForMode(Path work, Mode mode) {
    return work.resolve("bench-results-" + mode.id() + ".tsv");
  }

  /**
   * The last whole run of the other of quick and full mode saved in {@code work}, to set this run's
   * figures beside; null if there is none (or this run is neither).
   */
  private static Results otherMode(Path work, Mode mode) throws IOException {
    Mode other = mode == Mode.FULL ? Mode.QUICK : mode == Mode.QUICK ? Mode.FULL : null;
    if (other == null || !Files.isRegularFile(savedForMode(work, other))) {
      return null;
    }
    return Results.load(savedForMode(work, other));
  }

  private static List<String> machineLines(Result run) {
    List<String> out = new ArrayList<>();
    for (int i = 0; run.has("machine" + i); i++) {
      out.add(run.get("machine" + i));
    }
    return out;
  }

  static Results run(Mode mode, Set<String> only, Path work) throws IOException, InterruptedException {
    Results results = new Results();
    long timeout = mode == Mode.FULL ? 1800 : 300;
    List<String> common = List.of("--mode=" + mode.id());
    if (only.contains("floor")) {
      results.addAll(Child.run("floor", FloorSuite.class, common, timeout));
    }
    for (Series s : Series.values()) {
      if (only.contains(s.isBridge() ? "bridge" : s.isGrpc() ? "grpc" : "spoke")) {
        List<String> a = new ArrayList<>(common);
        a.addAll(s.args);
        a.add("--sizes=" + Payloads.UNARY_SIZES.stream().map(String::valueOf).collect(Collectors.joining(",")));
        a.add("--inflight=" + Report.IN_FLIGHT.stream().map(String::valueOf).collect(Collectors.joining(",")));
        a.add("--gaps=" + Report.GAPS_MICROS.stream().map(String::valueOf).collect(Collectors.joining(",")));
        a.add("--stream=true");
        if (s == Series.HEADLINE) {
          a.add("--zerocopy=" + Payloads.ZERO_COPY_SIZES.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        results.addAll(Child.run(s.key, s.suite, a, timeout));
      }
    }
    if (only.contains("jmh")) {
      results.addAll(JmhSuite.run(mode, work.toAbsolutePath().resolve("jmh.log")));
    }
    if (only.contains("idle")) {
      results.addAll(idleHosts(mode, timeout));
    }
    return results;
  }

  /**
   * Three hosts of 16 idle processes each: Spoke with BALANCED and with LOW_CPU, and JVMs without Spoke
   * (the floor). Each starts its processes while the others wait (the first one by one, timing every
   * launch; the others four at a time), then all three measure over the same window.
   */
  static List<Result> idleHosts(Mode mode, long timeout) throws IOException, InterruptedException {
    int plugins = mode == Mode.SMOKE ? 2 : 16;
    List<Child> hosts = new ArrayList<>();
    for (String strategy : Report.IDLE_STRATEGIES) {
      int threads = hosts.isEmpty() ? 1 : 4;
      Child c = Child.start("idle " + strategy, IdleSuite.class, Jvm.IDLE_HOST, List.of("--mode=" + mode.id(), "--idle=" + strategy,
          "--plugins=" + plugins, "--launch-threads=" + threads, "--wait-go"));
      hosts.add(c);
      if (!c.await("@READY", timeout)) {
        System.out.println("  (idle " + strategy + " never got its processes ready)");
      }
    }
    for (Child c : hosts) {
      try {
        c.send("GO");
      } catch (IOException e) {
        // it exited: finish() reports why
      }
    }
    List<Result> out = new ArrayList<>();
    for (Child c : hosts) {
      out.addAll(c.finish(timeout));
    }
    return out;
  }

  static String status(Mode mode, Machine machine) {
    if (mode != Mode.FULL || machine.wasBusy()) {
      List<String> why = new ArrayList<>();
      if (mode != Mode.FULL) {
        why.add("a " + mode.id() + " run (short measurements)");
      }
      if (machine.wasBusy()) {
        why.add("the machine was busy (load average " + machine.loadBefore + " before, other processes used "
            + Format.percent(machine.othersShare) + " of its CPU)");
      }
      return "**Preliminary figures:** " + String.join("; ", why) + ". Re-measure on a quiet machine with "
          + "`./benchmarks/run full` before quoting them.";
    }
    return "Measured in full mode on a quiet machine.";
  }

  static String document(Result run, Report report) throws IOException {
    String template;
    try (InputStream in = Bench.class.getResourceAsStream("BENCHMARKS-template.md")) {
      if (in == null) {
        throw new IOException("BENCHMARKS-template.md is missing from the class path");
      }
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return template
        .replace("{{status}}", run.get("status"))
        .replace("{{date}}", run.get("date"))
        .replace("{{command}}", run.get("command"))
        .replace("{{commit}}", run.get("commit"))
        .replace("{{mode}}", run.get("mode"))
        .replace("{{machine}}", machineLines(run).stream().map(l -> "- " + l).collect(Collectors.joining("\n")))
        .replace("{{chart}}", CHART_FILE)
        .replace("{{summary}}", report.summary())
        .replace("{{details}}", report.details());
  }
}
