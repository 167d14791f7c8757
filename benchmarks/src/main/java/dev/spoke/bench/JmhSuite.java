package dev.spoke.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The in-process micro-benchmarks, run through JMH (one forked JVM per benchmark, with the GC profiler
 * for bytes allocated per operation): the hub's structures, marshalling, and a whole unary call over
 * the hub. Quick mode runs each at 16 B only.
 */
final class JmhSuite {

  private JmhSuite() {}

  static List<Result> run(Mode mode, Path log) {
    System.out.println("▶ jmh  (" + Bench.elapsed() + "; JMH's log: " + log + ")");
    boolean quick = mode != Mode.FULL;
    ChainedOptionsBuilder b = new OptionsBuilder()
        .include("dev\\.spoke\\.shm\\.HubStructuresBenchmark\\." + (quick ? "(slotAllocateFree|ringPublishConsume)$" : ""))
        .include("dev\\.spoke\\.bench\\.MarshallingBenchmark\\." + (quick ? "(serializeSpoke|parseSpoke|parseBaseline)$" : ""))
        .include("dev\\.spoke\\.bench\\.HubCallBenchmark\\.")
        .forks(1)
        .warmupIterations(mode.jmhWarmupIterations)
        .measurementIterations(mode.jmhMeasureIterations)
        .warmupTime(TimeValue.milliseconds(mode.jmhIteration.toMillis()))
        .measurementTime(TimeValue.milliseconds(mode.jmhIteration.toMillis()))
        .timeUnit(TimeUnit.NANOSECONDS)
        .jvmArgs(Jvm.MEASURED.toArray(new String[0]))
        .addProfiler(GCProfiler.class)
        .output(log.toString());
    if (quick) {
      b.param("size", "16");
    }
    List<Result> out = new ArrayList<>();
    try {
      Collection<RunResult> results = new Runner(b.build()).run();
      for (RunResult rr : results) {
        String name = rr.getParams().getBenchmark();
        String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
        String size = rr.getParams().getParam("size");
        org.openjdk.jmh.results.Result<?> primary = rr.getPrimaryResult();
        org.openjdk.jmh.results.Result<?> alloc = rr.getSecondaryResults().get("gc.alloc.rate.norm");
        Result r = Result.of("jmh", shortName)
            .put("score", primary.getScore())
            .put("error", primary.getScoreError())
            .put("unit", primary.getScoreUnit())
            .put("threads", rr.getParams().getThreads());
        if (size != null) {
          r.put("size", size);
        }
        if (alloc != null) {
          r.put("allocPerOp", alloc.getScore());
        }
        out.add(r);
        System.out.printf("  %-48s %-6s %10s ns/op ± %-8s %8s B/op%n", shortName, size == null ? "" : Payloads.label(Long.parseLong(size)),
            Format.sig3(primary.getScore()), Format.sig3(primary.getScoreError()),
            alloc == null ? "—" : Format.sig3(alloc.getScore()));
      }
    } catch (RunnerException | RuntimeException e) {
      out.add(Scenarios.failure("jmh", "run", e));
      System.out.println("  jmh FAILED: " + e + " (see " + log + ")");
    }
    return out;
  }
}
