package dev.spoke.bench;

import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.IdleStrategy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * A host with idle plugins: launches {@code --plugins=16} {@link BenchPlugin}s, one after another (each
 * launch timed, from {@link SpokeHost#launch} to its return once the plugin said READY) or with {@code
 * --launch-threads=N} N at a time (untimed), then measures the CPU the host and all plugins use over the
 * mode's idle window while nobody calls anything.
 *
 * <p>With {@code --idle=NONE} there is no Spoke at all: this JVM starts as many {@link Sleeper}s, JVMs
 * with the plugins' options that do nothing, and measures the same way. That is the floor: what the
 * JVMs themselves (JIT, GC, periodic tasks) cost when idle.
 *
 * <p>With {@code --wait-go} it prints {@code @READY} once its plugins run and waits for a line {@code GO}
 * on its standard input, so that the harness can measure several hosts over the same window.
 */
public final class IdleSuite {

  /** The series of the bare JVMs. */
  static final String FLOOR_SERIES = "floor.idle";

  private IdleSuite() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Mode mode = args.mode();
    String idle = args.get("idle");
    int count = args.getInt("plugins", 16);
    int threads = args.getInt("launch-threads", 1);
    List<Long> pids = Collections.synchronizedList(new ArrayList<>());
    if (idle.equals("NONE")) {
      List<Process> sleepers = launch(count, threads, FLOOR_SERIES, () -> {
        // The very JVM options a Java plugin gets: Spoke's defaults, then the idle plugins' own.
        List<String> options = new ArrayList<>(PluginSpec.DEFAULT_JVM_OPTIONS);
        options.addAll(Jvm.IDLE_PLUGIN);
        Process p = Jvm.start(Sleeper.class, options, List.of());
        pids.add(p.pid());
        return p;
      });
      try {
        measure(FLOOR_SERIES, mode, args, pids);
      } finally {
        for (Process p : sleepers) {
          p.getOutputStream().close();
        }
      }
    } else {
      IdleStrategy strategy = IdleStrategy.valueOf(idle);
      String series = "spoke.idle." + strategy;
      AtomicInteger names = new AtomicInteger();
      try (SpokeHost host = SpokeHost.builder().idleStrategy(strategy).build()) {
        launch(count, threads, series, () -> {
          long pid = host.launch(PluginSpec.java("idle-" + names.getAndIncrement(), BenchPlugin.class)
              .jvmArgs(Jvm.IDLE_PLUGIN.toArray(new String[0]))
              .build()).pid();
          pids.add(pid);
          return pid;
        });
        measure(series, mode, args, pids);
      }
    }
    System.exit(0);
  }

  /** Something that starts one process. */
  interface Launch<T> {
    T launch() throws IOException;
  }

  /**
   * Starts {@code count} processes, {@code threads} at a time; with one thread, also emits how long each
   * launch took.
   */
  static <T> List<T> launch(int count, int threads, String series, Launch<T> one) throws Exception {
    List<T> launched = Collections.synchronizedList(new ArrayList<>());
    Histogram launches = Measure.histogram();
    ExecutorService launcher = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      done.add(launcher.submit(() -> {
        long t0 = System.nanoTime();
        launched.add(one.launch());
        synchronized (launches) {
          Measure.record(launches, System.nanoTime() - t0);
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    launcher.shutdown();
    System.out.printf("%s: %d processes started in %.1f s%n", series, count, (System.nanoTime() - start) / 1e9);
    if (threads == 1 && !series.equals(FLOOR_SERIES)) {
      // Launches that overlap slow each other down: only one at a time says how long one takes.
      Result r = Measure.percentiles(Result.of("launch", series), launches);
      r.emit();
      System.out.printf("%s: launch to ready p50 %s ms, max %s ms%n", series, Format.sig3(r.num("p50") / 1e6),
          Format.sig3(r.num("max") / 1e6));
    }
    return launched;
  }

  private static void measure(String series, Mode mode, Args args, List<Long> pids) throws Exception {
    if (args.flag("wait-go")) {
      System.out.println("@READY");
      System.out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line; (line = in.readLine()) != null && !line.equals("GO"); ) {
        // wait
      }
    }
    // The reads of /proc, made often now, are compiled during the settle, not in the window.
    for (int i = 0; i < 50; i++) {
      ProcCpu.sampleOthersOfSelf();
      pids.forEach(ProcCpu::sample);
    }
    Thread.sleep(mode.idleSettle.toMillis());
    idleWindow(series, mode, pids).emit();
  }

  static Result idleWindow(String series, Mode mode, List<Long> childPids) throws InterruptedException {
    List<Long> pids = new ArrayList<>();
    pids.add(ProcessHandle.current().pid());
    pids.addAll(childPids);
    // NOTE: this thread only measures (reads /proc, sleeps): the host's figure is its other threads'.
    List<ProcCpu.Sample> before = new ArrayList<>();
    before.add(ProcCpu.sampleOthersOfSelf());
    childPids.forEach(pid -> before.add(ProcCpu.sample(pid)));
    long t0 = System.nanoTime();
    Thread.sleep(mode.idleWindow.toMillis());
    long window = System.nanoTime() - t0;
    List<ProcCpu.Sample> after = new ArrayList<>();
    after.add(ProcCpu.sampleOthersOfSelf());
    childPids.forEach(pid -> after.add(ProcCpu.sample(pid)));
    long hostNanos = 0;
    long pluginNanos = 0;
    long busiestPlugin = 0;
    Map<String, Long> byThread = new HashMap<>();
    for (int i = 0; i < pids.size(); i++) {
      long used = after.get(i).cpuNanosSince(before.get(i));
      if (i == 0) {
        hostNanos = used;
      } else {
        pluginNanos += used;
        busiestPlugin = Math.max(busiestPlugin, used);
      }
      String role = i == 0 ? "host:" : "plugin:";
      after.get(i).byThreadSince(before.get(i)).forEach((name, ns) -> byThread.merge(role + name, ns, Long::sum));
    }
    String top = byThread.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(5)
        .map(e -> e.getKey() + " " + Format.sig3(e.getValue() / 1e6) + " ms")
        .collect(Collectors.joining("; "));
    double core = (double) window;
    Result r = Result.of("idle", series).put("plugins", childPids.size()).put("windowNanos", window)
        .put("totalShare", (hostNanos + pluginNanos) / core).put("hostShare", hostNanos / core)
        .put("pluginsShare", pluginNanos / core).put("busiestPluginShare", busiestPlugin / core).put("top", top);
    System.out.printf("%s: %d idle processes over %.1f s: %s of one core (host %s, plugins %s); busiest threads: %s%n",
        series, childPids.size(), window / 1e9, Format.percent(r.num("totalShare")), Format.percent(r.num("hostShare")),
        Format.percent(r.num("pluginsShare")), top);
    return r;
  }

  /** A JVM that does nothing until its standard input closes: the idle floor's "plugin". */
  public static final class Sleeper {
    private Sleeper() {}

    public static void main(String[] args) throws IOException {
      while (System.in.read() >= 0) {
        // nothing comes; wait for the end
      }
      System.exit(0);
    }
  }
}
