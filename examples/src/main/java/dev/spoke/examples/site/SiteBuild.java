package dev.spoke.examples.site;

import dev.spoke.Channel;
import dev.spoke.StatusRuntimeException;
import dev.spoke.examples.site.api.CodeRunnerSpoke;
import dev.spoke.examples.site.api.DecodeRequest;
import dev.spoke.examples.site.api.EncodedImage;
import dev.spoke.examples.site.api.ImageProcessorSpoke;
import dev.spoke.examples.site.api.MinifierSpoke;
import dev.spoke.examples.site.api.MinifyRequest;
import dev.spoke.examples.site.api.MinifyResponse;
import dev.spoke.examples.site.api.RawImage;
import dev.spoke.examples.site.api.RunEvent;
import dev.spoke.examples.site.api.RunRequest;
import dev.spoke.examples.site.api.TransformRequest;
import dev.spoke.examples.site.code.CodeRunnerPlugin;
import dev.spoke.examples.site.image.ImagePlugin;
import dev.spoke.examples.site.minify.MinifierPlugin;
// [START grpc-imports]
import dev.spoke.grpc.GrpcServer;
// [END grpc-imports]
// [START remote-imports]
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginLaunchException;
import dev.spoke.host.PluginSpec;
// [END remote-imports]
import dev.spoke.host.RestartPolicy;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubSnapshot;
import dev.spoke.stub.BlockingResponseStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One build of a site: starts a {@link SpokeHost} that serves {@link SiteHostService}, launches the
 * three plugins, hands them the site's files concurrently, writes what comes back, and reports.
 *
 * <p>With {@code --remote}, a plugin runs instead as a separate process serving gRPC on loopback ({@link
 * RemoteProcess}), as it would on another machine: the host connects to it by address and gets the same
 * {@link Plugin} handle, and serves its own service over gRPC for that plugin's callbacks.
 *
 * <p>Pages wait for the code samples they show; everything else runs at once, on small pools per kind
 * of work (the plugins do the work; the host's threads mostly wait for them). Every call has a
 * deadline, and is retried when its plugin dies under it ({@link Retrier}). A {@link CallMeter} counts the
 * calls to each plugin (on the plugin's channel) and the plugins' calls back (on the host's services).
 *
 * <p>Not thread-safe: one build, one {@link #run()}.
 */
final class SiteBuild {

  static final String MINIFIER = "minifier";
  static final String IMAGES = "images";
  static final String CODE_RUNNER = "code-runner";
  /** Images wider than this are scaled down for the site. */
  static final int WEB_WIDTH = 1280;
  /** Thumbnails are this wide, and grey. */
  static final int THUMBNAIL_WIDTH = 320;
  /** A sample without a {@code # timeout: Ns} line of its own gets this long. */
  static final Duration SAMPLE_TIMEOUT = Duration.ofSeconds(10);
  /** Marks an output folder as one this demo may empty. */
  static final String OUTPUT_MARKER = ".spoke-site-build";

  private static final Pattern TIMEOUT = Pattern.compile("(?m)^#\\s*timeout:\\s*(\\d+)\\s*s\\s*$");

  private final DemoOptions options;
  private final Console console;
  private final long startNanos = System.nanoTime();
  private final PayloadSizes payloads = new PayloadSizes(HubConfig.DEFAULT_SIZE_CLASSES);
  private final BuildReport report;
  private final Map<String, AtomicInteger> done = new LinkedHashMap<>();
  private final Map<String, Integer> totals = new LinkedHashMap<>();
  private final Map<String, CallStats> stats = new LinkedHashMap<>();
  private final Map<String, Plugin> plugins = new ConcurrentHashMap<>();
  private final Map<String, RemoteProcess> remotes = new ConcurrentHashMap<>();

  SiteBuild(DemoOptions options, Console console) {
    this.options = options;
    this.console = console;
    this.report = new BuildReport(options.input, options.output, options.kill);
    for (String name : DemoOptions.PLUGINS) {
      // A remote plugin's messages never touch the hub: they are kept out of its size-class figures.
      PayloadSizes sizes = options.remote.contains(name) ? new PayloadSizes(HubConfig.DEFAULT_SIZE_CLASSES) : payloads;
      stats.put(name, new CallStats(name, sizes));
    }
  }

  /** Builds the site. Failures of single files are in the report; this throws only when nothing can run. */
  BuildReport run() throws IOException, InterruptedException {
    SiteFiles site = SiteFiles.scan(options.input);
    prepareOutput(options.input, options.output);
    count("pages", site.pages.size());
    count("css", site.stylesheets.size());
    count("images", site.images.size());
    count("code", site.samples.size());

    KillSwitch killSwitch = new KillSwitch(startNanos, event -> console.println("  ! " + event));
    report.hostCallbacks = new CallStats("host callbacks", payloads);
    SiteHostService siteHost = new SiteHostService(site, killSwitch::onCallback);
    CallMeter callbackMeter = new CallMeter(report.hostCallbacks);

    try (SpokeHost host = SpokeHost.builder()
        .addService(siteHost)         // what the plugins call back
        .intercept(callbackMeter)     // a ServerInterceptor: counts the plugins' calls to the host
        .build()) {                   // creates the hub in /dev/shm; close() stops the plugins and removes it
      report.hubPath = host.hubPath();
      GrpcServer callbacks = null;
      try {
        if (!options.remote.isEmpty()) {
          report.remoteCallbacks = new CallStats("host callbacks", new PayloadSizes(HubConfig.DEFAULT_SIZE_CLASSES));
          callbacks = serveOverGrpc(siteHost, new CallMeter(report.remoteCallbacks));
          report.callbacksAddress = callbacks.address();
        }
        build(host, site, killSwitch, callbacks);
      } finally {
        remotes.forEach((name, process) -> {
          Plugin p = plugins.get(name);
          if (p != null) {
            p.close(); // the host lets it go first, so that its end is no surprise
          }
          process.close();
        });
        if (callbacks != null) {
          callbacks.close();
        }
      }
    }
    report.hubFileRemoved = !Files.exists(report.hubPath);
    report.totalMillis = elapsedMillis();
    return report;
  }

  /** Launches the plugins, builds the site with them, and records what happened. */
  private void build(SpokeHost host, SiteFiles site, KillSwitch killSwitch, GrpcServer callbacks)
      throws InterruptedException {
    launchAll(host, callbacks);
    report.launchMillis = elapsedMillis();
    if (options.kill != null) {
      killSwitch.arm(plugins.get(options.kill), stats.get(options.kill), expectedCalls(site, options.kill) / 3);
    }
    PoolWatch pool = PoolWatch.start(host::snapshot);
    try {
      buildAll(site);
    } finally {
      pool.stop();
    }
    recordPool(host.snapshot(), pool);
    report.buildMillis = elapsedMillis() - report.launchMillis;
    report.kill = killSwitch.settle(Retrier.PATIENCE);
    report.poolFreeAfterBuild = poolFreesWithin(host, Duration.ofSeconds(2));
    for (BuildReport.PluginRow row : report.plugins) {
      Plugin p = plugins.get(row.name);
      RemoteProcess remote = remotes.get(row.name);
      row.lastPid = remote != null ? remote.pid() : p.pid();
      row.restarts = p.restarts();
    }
  }

  /** The host's service over gRPC on loopback, for the callbacks of the remote plugins. */
  private static GrpcServer serveOverGrpc(SiteHostService siteHost, CallMeter meter) throws IOException {
    // [START host-serve-grpc]
    GrpcServer callbacks = GrpcServer.builder("127.0.0.1:0")  // loopback, any free port
        .addService(siteHost)                                 // what remote plugins call back
        .intercept(meter)                                     // the same ServerInterceptors as on the hub
        .start();
    // [END host-serve-grpc]
    return callbacks;
  }

  // ---------------------------------------------------------------------------------------------
  // Plugins

  private void launchAll(SpokeHost host, GrpcServer callbacks) throws InterruptedException {
    console.println("Launching 3 plugins" + (options.remote.isEmpty() ? "" : " (" + String.join(", ", options.remote)
        + " as a separate gRPC server on loopback)") + " ...");
    Map<String, Class<?>> mains = new LinkedHashMap<>();
    mains.put(MINIFIER, MinifierPlugin.class);
    mains.put(IMAGES, ImagePlugin.class);
    mains.put(CODE_RUNNER, CodeRunnerPlugin.class);
    ExecutorService launcher = pool("launch", mains.size()); // the JVMs start in parallel
    try {
      Map<String, CompletableFuture<Plugin>> launches = new LinkedHashMap<>();
      mains.forEach((name, main) -> {
        CallMeter meter = new CallMeter(stats.get(name));
        launches.put(name, CompletableFuture.supplyAsync(() -> options.remote.contains(name)
            ? connect(host, name, main, heap(name), callbacks.address(), meter)
            : launch(host, name, main, heap(name), meter), launcher));
      });
      StringBuilder line = new StringBuilder("  ");
      for (Map.Entry<String, CompletableFuture<Plugin>> e : launches.entrySet()) {
        Plugin p = join(e.getValue());
        plugins.put(e.getKey(), p);
        BuildReport.PluginRow row = new BuildReport.PluginRow(e.getKey(), stats.get(e.getKey()));
        RemoteProcess remote = remotes.get(e.getKey());
        row.firstPid = remote != null ? remote.pid() : p.pid();
        row.remoteAddress = remote != null ? remote.address() : null;
        report.plugins.add(row);
        line.append(line.length() > 2 ? ", " : "").append(p.name()).append(" (pid ").append(row.firstPid)
            .append(remote != null ? ", gRPC on " + remote.address() : "").append(')');
      }
      console.println(line + String.format(" ready in %.1f s; hub %s", elapsedMillis() / 1000.0, host.hubPath()));
    } finally {
      launcher.shutdown();
    }
  }

  private static Plugin launch(SpokeHost host, String name, Class<?> mainClass, String heap, CallMeter meter) {
    return host.launch(PluginSpec.java(name, mainClass)          // runs where mainClass was loaded from
        .jvmArgs(heap, "-XX:+UseSerialGC", "-Djava.awt.headless=true")
        .restartPolicy(RestartPolicy.onFailure(3, Duration.ofMillis(200)))
        .intercept(meter)                                        // a ClientInterceptor: counts calls, bytes, latency
        .build());                                               // returns once the plugin said READY
  }

  /**
   * Starts a plugin as a separate gRPC server process on loopback ({@code --remote}), then connects to it
   * as its host would to a plugin on another machine.
   */
  private Plugin connect(SpokeHost host, String name, Class<?> mainClass, String heap, String callbacks,
      CallMeter meter) {
    RemoteProcess process;
    try {
      process = RemoteProcess.start(name, mainClass, List.of(heap, "-XX:+UseSerialGC", "-Djava.awt.headless=true"), callbacks);
    } catch (IOException e) {
      throw new UncheckedIOException("could not start plugin '" + name + "' as a separate process: " + e.getMessage(), e);
    }
    remotes.put(name, process);
    try {
      // [START host-remote]
      Plugin plugin = host.launch(PluginSpec.remote(name, process.address())  // it serves gRPC there
          .intercept(meter)           // the same interceptors as a local plugin's
          .build());                  // connects, and returns the same Plugin handle once it serves
      // [END host-remote]
      return plugin;
    } catch (PluginLaunchException e) {
      throw new IllegalStateException(e.getMessage() + process.describeEnd(), e);
    }
  }

  private static String heap(String plugin) {
    return plugin.equals(IMAGES) ? "-Xmx512m" : "-Xmx128m";
  }

  private Channel channel(String plugin) {
    return plugins.get(plugin).channel();
  }

  private <T> T call(String plugin, Supplier<T> attempt) {
    return Retrier.call(plugins.get(plugin), stats.get(plugin), attempt);
  }

  /** The calls a plugin gets for a site, to know when a third of them are done. */
  private static int expectedCalls(SiteFiles site, String plugin) {
    switch (plugin) {
      case MINIFIER:
        return site.pages.size() + site.stylesheets.size();
      case IMAGES:
        return 5 * site.images.size();
      default:
        return site.samples.size();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The work

  private void buildAll(SiteFiles site) throws InterruptedException {
    ExecutorService codePool = pool("code", 3);
    ExecutorService imagePool = pool("images", 2);
    ExecutorService pagePool = pool("pages", 4);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "progress"));
    if (console.isLive()) {
      ticker.scheduleAtFixedRate(this::showProgress, 0, 200, TimeUnit.MILLISECONDS);
    }
    try {
      List<CompletableFuture<?>> tasks = new ArrayList<>();
      Map<String, CompletableFuture<CodeOutput>> runs = new LinkedHashMap<>();
      for (String sample : site.samples) {
        runs.put(sample, CompletableFuture.supplyAsync(() -> task("code", sample, () -> runSample(site, sample)), codePool));
      }
      tasks.addAll(runs.values());
      for (String image : site.images) {
        tasks.add(CompletableFuture.runAsync(() -> task("images", image, () -> processImage(image)), imagePool));
      }
      for (String css : site.stylesheets) {
        tasks.add(CompletableFuture.runAsync(() -> task("css", css, () -> minify(css, read(site, css), false)), pagePool));
      }
      for (String page : site.pages) {
        String html = read(site, page);
        CompletableFuture<?>[] needs = CodeOutput.samplesIn(html).stream()
            .filter(runs::containsKey).map(runs::get).toArray(CompletableFuture<?>[]::new);
        tasks.add(CompletableFuture.allOf(needs).thenRunAsync(
            () -> task("pages", page, () -> minifyPage(page, html, runs)), pagePool));
      }
      for (String other : site.others) {
        copy(site, other);
      }
      CompletableFuture.allOf(tasks.toArray(CompletableFuture<?>[]::new)).join();
    } finally {
      ticker.shutdownNow();
      codePool.shutdownNow();
      imagePool.shutdownNow();
      pagePool.shutdownNow();
      showProgress();
      console.endProgress();
    }
  }

  /** Runs one unit of work; a failure is reported and counted as done, so the build goes on. */
  private <T> T task(String kind, String path, ThrowingSupplier<T> work) {
    try {
      return work.get();
    } catch (StatusRuntimeException e) {
      report.failed(path + ": " + e.getStatus());
    } catch (IOException | RuntimeException e) {
      report.failed(path + ": " + e);
    } finally {
      done.get(kind).incrementAndGet();
      if (!console.isLive()) {
        showProgress();
      }
    }
    return null;
  }

  @FunctionalInterface
  private interface ThrowingSupplier<T> {
    T get() throws IOException;
  }

  private Object minifyPage(String page, String html, Map<String, CompletableFuture<CodeOutput>> runs) throws IOException {
    Map<String, CodeOutput> outputs = new LinkedHashMap<>();
    runs.forEach((path, run) -> {
      CodeOutput out = run.getNow(null);
      if (out != null) {
        outputs.put(path, out);
      }
    });
    return minify(page, CodeOutput.embed(html, outputs), true);
  }

  /** Minifies a page or a stylesheet; the minifier asks the host about each link in it. */
  private Object minify(String path, String content, boolean page) throws IOException {
    MinifyResponse result = call(MINIFIER, () -> {
      MinifierSpoke.MinifierBlockingStub minifier = MinifierSpoke.newBlockingStub(channel(MINIFIER))
          .withWaitForReady()                      // while the plugin restarts, wait for it
          .withDeadlineAfter(30, TimeUnit.SECONDS);
      MinifyRequest request = MinifyRequest.newBuilder().setPath(path).setContent(content).build();
      return page ? minifier.minifyHtml(request) : minifier.minifyCss(request);
    });
    byte[] minified = result.getContent().getBytes(StandardCharsets.UTF_8);
    write(path, minified);
    report.minified(path, page, content.getBytes(StandardCharsets.UTF_8).length, minified.length,
        result.getLinksChecked(), result.getBrokenLinksList());
    return null;
  }

  /** Decode (the plugin fetches the PNG from the host), scale for the web, grey thumbnail, encode both. */
  private Object processImage(String path) throws IOException {
    RawImage original = call(IMAGES, () -> images().decode(DecodeRequest.newBuilder().setPath(path).build()));
    RawImage web = call(IMAGES, () -> images().transform(
        TransformRequest.newBuilder().setImage(original).setMaxWidth(WEB_WIDTH).build()));
    EncodedImage webPng = call(IMAGES, () -> images().encode(web));
    write(path, webPng.getPng().toByteArray());
    RawImage thumbnail = call(IMAGES, () -> images().transform(
        TransformRequest.newBuilder().setImage(web).setMaxWidth(THUMBNAIL_WIDTH).setGrayscale(true).build()));
    EncodedImage thumbnailPng = call(IMAGES, () -> images().encode(thumbnail));
    write(SiteFiles.thumbnailOf(path), thumbnailPng.getPng().toByteArray());
    report.image(new BuildReport.ImageRow(path, size(original), size(web), size(thumbnail)));
    return null;
  }

  private ImageProcessorSpoke.ImageProcessorBlockingStub images() {
    return ImageProcessorSpoke.newBlockingStub(channel(IMAGES)).withWaitForReady().withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static String size(RawImage image) {
    return image.getWidth() + "x" + image.getHeight();
  }

  /** Runs a sample; its output streams back line by line. A retry starts the sample again from scratch. */
  private CodeOutput runSample(SiteFiles site, String path) throws IOException {
    Matcher m = TIMEOUT.matcher(read(site, path));
    Duration timeout = m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : SAMPLE_TIMEOUT;
    RunRequest request = RunRequest.newBuilder().setPath(path).setTimeoutMillis(timeout.toMillis()).build();
    CodeOutput output = call(CODE_RUNNER, () -> {
      CodeOutput attempt = new CodeOutput(path);
      try (BlockingResponseStream<RunEvent> events = CodeRunnerSpoke.newBlockingStub(channel(CODE_RUNNER))
          .withWaitForReady()
          .withDeadlineAfter(timeout.plusSeconds(30))
          .run(request)) {
        while (events.hasNext()) {
          attempt.add(events.next());
        }
      }
      return attempt;
    });
    write(path.replaceFirst("\\.sh$", "") + ".out.txt", output.text().getBytes(StandardCharsets.UTF_8));
    report.sample(output);
    return output;
  }

  // ---------------------------------------------------------------------------------------------
  // Files

  /**
   * Empties the output folder, which must not overlap the input; one that is not empty must carry
   * the marker of an earlier build, so that a mistyped {@code --out} cannot wipe anything else.
   */
  static void prepareOutput(Path input, Path output) throws IOException {
    Path in = input.toAbsolutePath().normalize();
    Path out = output.toAbsolutePath().normalize();
    if (out.startsWith(in) || in.startsWith(out)) {
      throw new IOException("the output folder " + output + " must not overlap the site folder " + input);
    }
    if (Files.isDirectory(out)) {
      try (var entries = Files.list(out)) {
        if (entries.findAny().isPresent() && !Files.exists(out.resolve(OUTPUT_MARKER))) {
          throw new IOException("refusing to empty " + output + ": it is not empty and no earlier build made it");
        }
      }
      try (var paths = Files.walk(out)) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          if (!p.equals(out)) {
            Files.delete(p);
          }
        }
      }
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve(OUTPUT_MARKER), "made by the Spoke site-build demo; emptied by its next build\n");
  }

  private static String read(SiteFiles site, String path) {
    try {
      return Files.readString(site.file(path), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private void write(String path, byte[] content) throws IOException {
    Path target = options.output.resolve(path);
    Files.createDirectories(target.getParent());
    Files.write(target, content);
  }

  private void copy(SiteFiles site, String path) {
    try {
      write(path, Files.readAllBytes(site.file(path)));
      report.copied();
    } catch (IOException e) {
      report.failed(path + ": " + e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Progress and figures

  private void count(String kind, int total) {
    totals.put(kind, total);
    done.put(kind, new AtomicInteger());
  }

  private void showProgress() {
    int doneAll = 0;
    int totalAll = 0;
    StringBuilder detail = new StringBuilder();
    for (Map.Entry<String, Integer> e : totals.entrySet()) {
      int d = done.get(e.getKey()).get();
      doneAll += d;
      totalAll += e.getValue();
      detail.append(e.getKey()).append(' ').append(d).append('/').append(e.getValue()).append("  ");
    }
    detail.append(String.format("%.1f s", elapsedMillis() / 1000.0));
    console.progress(doneAll, totalAll, detail.toString());
  }

  private void recordPool(HubSnapshot snapshot, PoolWatch pool) {
    report.inlineMessages = payloads.inlineMessages();
    report.poolSamples = pool.samples();
    for (int c = 0; c < snapshot.pool.size(); c++) {
      HubSnapshot.ClassUsage u = snapshot.pool.get(c);
      report.sizeClasses.add(new BuildReport.ClassRow(u.slotSize, u.slotCount, payloads.messages(c), payloads.bytes(c), pool.peak(c)));
    }
  }

  private long elapsedMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  private static ExecutorService pool(String name, int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, r -> daemon(r, "site-" + name + "-" + n.incrementAndGet()));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static <T> T join(CompletableFuture<T> f) throws InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Whether every slot of the pool is free within {@code patience}: the last responses' slots are freed
   * by the threads that delivered them, just after their callbacks returned, so a look taken the moment
   * the build's last call completed can still see a few in flight.
   */
  private static boolean poolFreesWithin(SpokeHost host, Duration patience) throws InterruptedException {
    long deadline = System.nanoTime() + patience.toNanos();
    while (!host.snapshot().poolFullyFree()) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
