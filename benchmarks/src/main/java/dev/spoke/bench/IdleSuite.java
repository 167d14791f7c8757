package dev.spoke.bench;

import dev.spoke.host.Plugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.IdleStrategy;
import java.io.BufferedReader;
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
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * A host with idle plugins: launches {@code --plugins=16} {@link BenchPlugin}s, one after another (each
 * launch timed, from {@link SpokeHost#launch} to its return once the plugin said READY) or with {@code
 * --launch-threads=N} N at a time (untimed), then measures the CPU the host and all plugins use over the
 * mode's idle window while nobody calls anything.
 *
 * <p>With {@code --wait-go} it prints {@code @READY} once its plugins run and waits for a line {@code GO}
 * on its standard input, so that the harness can measure two hosts over the same window.
 */
public final class IdleSuite {

  private IdleSuite() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Mode mode = args.mode();
    IdleStrategy idle = IdleStrategy.valueOf(args.get("idle"));
    int count = args.getInt("plugins", 16);
    int threads = args.getInt("launch-threads", 1);
    String series = "spoke.idle." + idle;
    try (SpokeHost host = SpokeHost.builder().idleStrategy(idle).build()) {
      List<Plugin> plugins = Collections.synchronizedList(new ArrayList<>());
      Histogram launches = Measure.histogram();
      ExecutorService launcher = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String name = "idle-" + i;
        done.add(launcher.submit(() -> {
          long t0 = System.nanoTime();
          plugins.add(host.launch(PluginSpec.java(name, BenchPlugin.class)
              .jvmArgs(Jvm.IDLE_PLUGIN.toArray(new String[0]))
              .build()));
          synchronized (launches) {
            Measure.record(launches, System.nanoTime() - t0);
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      launcher.shutdown();
      System.out.printf("%s: %d plugins launched in %.1f s%n", series, count, (System.nanoTime() - start) / 1e9);
      if (threads == 1) {
        // Launches that overlap slow each other down: only one at a time says how long one takes.
        Result launch = Measure.percentiles(Result.of("launch", series), launches);
        launch.emit();
        System.out.printf("%s: launch to ready p50 %s ms, max %s ms%n", series,
            Format.sig3(launch.num("p50") / 1e6), Format.sig3(launch.num("max") / 1e6));
      }
      if (args.flag("wait-go")) {
        System.out.println("@READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null && !line.equals("GO"); ) {
          // wait
        }
      }
      Thread.sleep(mode.idleSettle.toMillis());
      idleWindow(series, mode, plugins).emit();
    }
    System.exit(0);
  }

  static Result idleWindow(String series, Mode mode, List<Plugin> plugins) throws InterruptedException {
    List<Long> pids = new ArrayList<>();
    pids.add(ProcessHandle.current().pid());
    plugins.forEach(p -> pids.add(p.pid()));
    // NOTE: the host (this process) is sampled last before the window and first after it, so the CPU
    // this thread spends reading /proc falls outside the host's own window.
    List<ProcCpu.Sample> before = new ArrayList<>();
    for (int i = pids.size() - 1; i >= 0; i--) {
      before.add(0, ProcCpu.sample(pids.get(i)));
    }
    long t0 = System.nanoTime();
    Thread.sleep(mode.idleWindow.toMillis());
    long window = System.nanoTime() - t0;
    List<ProcCpu.Sample> after = pids.stream().map(ProcCpu::sample).collect(Collectors.toList());
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
    Result r = Result.of("idle", series).put("plugins", plugins.size()).put("windowNanos", window)
        .put("totalShare", (hostNanos + pluginNanos) / core).put("hostShare", hostNanos / core)
        .put("pluginsShare", pluginNanos / core).put("busiestPluginShare", busiestPlugin / core).put("top", top);
    System.out.printf("%s: %d idle plugins over %.1f s: %s of one core (host %s, plugins %s); busiest threads: %s%n",
        series, plugins.size(), window / 1e9, Format.percent(r.num("totalShare")), Format.percent(r.num("hostShare")),
        Format.percent(r.num("pluginsShare")), top);
    return r;
  }
}
