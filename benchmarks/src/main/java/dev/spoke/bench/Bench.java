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
 * Bench [quick|full|smoke] [--only=floor,spoke,grpc,jmh,idle] [--docs=DIR] [--work=DIR]
 *       [--command=TEXT] [--commit=TEXT]
 * </pre>
 *
 * <p>{@code benchmarks/run} builds the modules and starts this with the right class path.
 */
public final class Bench {

  static final List<String> SUITES = List.of("floor", "spoke", "grpc", "jmh", "idle");
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
    Mode mode = args.words().isEmpty() ? Mode.QUICK : Mode.parse(args.words().get(0));
    Set<String> only = Arrays.stream(args.get("only", String.join(",", SUITES)).split(","))
        .map(String::trim).collect(Collectors.toSet());
    Path docs = Path.of(args.get("docs", "docs"));
    Path work = Path.of(args.get("work", "benchmarks/target"));
    Files.createDirectories(work);
    String command = args.get("command", "java " + Bench.class.getName() + " " + String.join(" ", argv));

    Machine machine = Machine.start();
    System.out.println("Spoke benchmarks, " + mode.id() + " mode");
    machine.describe().stream().limit(4).forEach(l -> System.out.println("  " + l));
    System.out.println("  Load average (1, 5, 15 min): " + machine.loadBefore);
    Results results = run(mode, only, work);
    machine.finish();

    Report report = new Report(results);
    System.out.println();
    System.out.println(report.summary());
    machine.describe().forEach(l -> System.out.println(l));
    String header = status(mode, machine);
    System.out.println(header);

    Files.writeString(work.resolve("bench-results.tsv"),
        results.all().stream().map(Result::encode).collect(Collectors.joining("\n", "", "\n")));
    if (!args.flag("no-docs")) {
      Files.createDirectories(docs);
      String title = "Unary round trip by payload size (" + mode.id() + " run, " + machine.cpu + ", " + machine.cores + " CPUs)";
      Files.writeString(docs.resolve(CHART_FILE), new Chart(results).svg(title));
      Files.writeString(docs.resolve("BENCHMARKS.md"), document(mode, machine, report, header, command, args.get("commit", "unknown")));
      System.out.println("Wrote " + docs.resolve("BENCHMARKS.md") + " and " + docs.resolve(CHART_FILE)
          + "; raw results in " + work.resolve("bench-results.tsv"));
    }
    System.exit(results.failures().isEmpty() ? 0 : 1);
  }

  static Results run(Mode mode, Set<String> only, Path work) throws IOException, InterruptedException {
    Results results = new Results();
    long timeout = mode == Mode.FULL ? 1800 : 300;
    List<String> common = List.of("--mode=" + mode.id());
    if (only.contains("floor")) {
      results.addAll(Child.run("floor", FloorSuite.class, common, timeout));
    }
    for (Series s : Series.values()) {
      if (only.contains(s.isGrpc() ? "grpc" : "spoke")) {
        List<String> a = new ArrayList<>(common);
        a.addAll(s.args);
        a.add("--sizes=" + Payloads.UNARY_SIZES.stream().map(String::valueOf).collect(Collectors.joining(",")));
        a.add("--inflight=" + Report.IN_FLIGHT.stream().map(String::valueOf).collect(Collectors.joining(",")));
        a.add("--stream=true");
        results.addAll(Child.run(s.key, s.suite, a, timeout));
      }
    }
    if (only.contains("jmh")) {
      results.addAll(JmhSuite.run(mode, work.toAbsolutePath().resolve("jmh.log")));
    }
    if (only.contains("idle")) {
      results.addAll(idlePair(mode, timeout));
    }
    return results;
  }

  /**
   * Two hosts of 16 idle plugins each, BALANCED and LOW_CPU: each launches its plugins while the other
   * waits (the first one by one, timing every launch), then both measure over the same window.
   */
  static List<Result> idlePair(Mode mode, long timeout) throws IOException, InterruptedException {
    int plugins = mode == Mode.SMOKE ? 2 : 16;
    List<Child> hosts = new ArrayList<>();
    for (String strategy : Report.IDLE_STRATEGIES) {
      // The first host's launches are timed one by one; the second's overlap, to save the time.
      int threads = hosts.isEmpty() ? 1 : 4;
      Child c = Child.start("idle " + strategy, IdleSuite.class, List.of("--mode=" + mode.id(), "--idle=" + strategy,
          "--plugins=" + plugins, "--launch-threads=" + threads, "--wait-go"));
      hosts.add(c);
      if (!c.await("@READY", timeout)) {
        System.out.println("  (idle " + strategy + " never got its plugins ready)");
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

  static String document(Mode mode, Machine machine, Report report, String status, String command, String commit)
      throws IOException {
    String template;
    try (InputStream in = Bench.class.getResourceAsStream("BENCHMARKS-template.md")) {
      if (in == null) {
        throw new IOException("BENCHMARKS-template.md is missing from the class path");
      }
      template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String machineText = machine.describe().stream().map(l -> "- " + l).collect(Collectors.joining("\n"));
    return template
        .replace("{{status}}", status)
        .replace("{{date}}", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
        .replace("{{command}}", command)
        .replace("{{commit}}", commit)
        .replace("{{mode}}", mode.id())
        .replace("{{machine}}", machineText)
        .replace("{{chart}}", CHART_FILE)
        .replace("{{summary}}", report.summary())
        .replace("{{details}}", report.details());
  }
}
