package dev.spoke.examples.site.code;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shell script running in a subprocess: its output line by line as it comes, a timeout, and a kill
 * that takes every process the script started.
 *
 * <p>How the kill reaches every process: the script runs in a session of its own ({@code setsid}), so
 * it and everything it starts share one process group, and a small watchdog in that group waits for
 * the end of its standard input, a pipe from this JVM, and then kills the whole group. The runner
 * closes the pipe when the time is up, when the call is cancelled, and when the script has ended (so
 * nothing it left running in the background survives it); and the kernel closes it when this JVM dies,
 * so not even a plugin killed with SIGKILL leaves a sample behind. Without {@code setsid} the runner
 * falls back to killing the processes it can see below the script.
 *
 * <p>The script gets an empty standard input, a temporary working directory and the plugin's
 * environment without the {@code SPOKE_*} variables (the hub's token among them).
 *
 * <p>Thread-safe: {@link #cancel} may be called from any thread, at any time.
 */
final class SampleProcess {

  private static final Logger log = LoggerFactory.getLogger(SampleProcess.class);

  /** Receives the output, one line at a time, from the two threads that read stdout and stderr. */
  interface LineSink {
    void line(boolean stderr, String text);
  }

  /** How a run ended. */
  static final class Result {
    final int exitStatus;
    final boolean timedOut;
    final boolean cancelled;
    final int processesKilled;
    final long durationMillis;

    Result(int exitStatus, boolean timedOut, boolean cancelled, int processesKilled, long durationMillis) {
      this.exitStatus = exitStatus;
      this.timedOut = timedOut;
      this.cancelled = cancelled;
      this.processesKilled = processesKilled;
      this.durationMillis = durationMillis;
    }
  }

  /**
   * Runs as {@code setsid sh -c WATCHDOG sh SCRIPT}. Keeps the pipe on fd 3 for a watchdog subshell
   * (whose output goes nowhere, so it never holds the output pipes open), says the watchdog's pid on
   * stderr (the reader takes that line away), then becomes the script, which gets neither fd 3 nor
   * the pipe. {@code kill 0} signals the process group: the script's session, not the plugin.
   */
  static final String WATCHDOG = String.join("\n",
      "exec 3<&0 </dev/null",
      "( exec >/dev/null 2>&1; cat <&3; kill -KILL 0 ) &",
      "echo \"spoke-watchdog $!\" >&2",
      "exec 3<&-",
      "exec sh \"$1\"");

  private static final String WATCHDOG_LINE = "spoke-watchdog ";
  private static final int MAX_LINES = 10_000;
  private static final int MAX_LINE_CHARS = 4_000;
  private static final Optional<Path> SETSID = findSetsid();

  private final Path script;
  private final LineSink sink;
  private final CountDownLatch outputDone = new CountDownLatch(2);
  private final Object lock = new Object();
  private Process process;
  private long watchdogPid;
  private int lines;
  private boolean cancelled;
  private int killed = -1;

  SampleProcess(Path script, LineSink sink) {
    this.script = script;
    this.sink = sink;
  }

  /** The command line, for messages: what runs, without the watchdog. */
  String command() {
    return "sh " + script.getFileName();
  }

  /**
   * Starts the script, unless it was cancelled already.
   *
   * @return false if it was cancelled before it could start
   */
  boolean start() throws IOException {
    ProcessBuilder pb = SETSID.isPresent()
        ? new ProcessBuilder(SETSID.get().toString(), "sh", "-c", WATCHDOG, "sh", script.toString())
        : new ProcessBuilder("sh", script.toString());
    pb.directory(script.getParent().toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SPOKE_"));
    synchronized (lock) {
      if (cancelled) {
        return false;
      }
      process = pb.start();
    }
    if (SETSID.isEmpty()) {
      process.getOutputStream().close(); // no watchdog to keep the pipe for
    }
    pump(process.getInputStream(), false);
    pump(process.getErrorStream(), true);
    return true;
  }

  /**
   * Waits for the script to end, killing it (and everything it started) when {@code timeout} passes
   * first or the run is cancelled meanwhile; then kills whatever it left running and waits for the
   * last of its output.
   */
  Result await(Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    Process p;
    synchronized (lock) {
      p = process;
    }
    boolean timedOut = !p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (timedOut) {
      kill();
    }
    closeWatchdogPipe(); // the script has ended: take down anything it left behind
    if (!outputDone.await(5, TimeUnit.SECONDS)) {
      // Something outside the process group holds the output open; do not wait for it.
      log.warn("{}: output still open 5 s after the script ended; giving up on the rest", command());
    }
    p.waitFor(5, TimeUnit.SECONDS);
    synchronized (lock) {
      return new Result(p.isAlive() ? -1 : p.exitValue(), timedOut, cancelled && !timedOut, Math.max(killed, 0),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
    }
  }

  /** Kills the script and everything it started; the run's result says it was cancelled. Idempotent. */
  void cancel() {
    synchronized (lock) {
      cancelled = true;
      if (process == null) {
        return;
      }
    }
    kill();
  }

  /** Kills the process group once, counting what was alive. */
  private void kill() {
    Process p;
    List<ProcessHandle> doomed;
    synchronized (lock) {
      if (killed >= 0 || process == null) {
        return;
      }
      p = process;
      long watchdog = watchdogPid;
      doomed = Stream.concat(Stream.of(p.toHandle()), p.descendants())
          .filter(h -> watchdog == 0 || h.pid() != watchdog && h.parent().map(ProcessHandle::pid).orElse(0L) != watchdog)
          .filter(ProcessHandle::isAlive)
          .toList();
      killed = doomed.size();
    }
    closeWatchdogPipe();
    try {
      if (SETSID.isPresent() && p.waitFor(2, TimeUnit.SECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    doomed.forEach(ProcessHandle::destroyForcibly); // no watchdog, or it failed: what we can see
  }

  private void closeWatchdogPipe() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      // already closed
    }
  }

  private void pump(InputStream in, boolean stderr) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        boolean first = true;
        while ((line = r.readLine()) != null) {
          if (stderr && first && SETSID.isPresent() && line.startsWith(WATCHDOG_LINE)) {
            synchronized (lock) {
              watchdogPid = Long.parseLong(line.substring(WATCHDOG_LINE.length()).trim());
            }
          } else {
            deliver(stderr, line);
          }
          first = false;
        }
      } catch (IOException | NumberFormatException e) {
        log.debug("{}: reading its output ended: {}", command(), e.toString());
      } finally {
        outputDone.countDown();
      }
    }, "sample-" + (stderr ? "stderr" : "stdout"));
    t.setDaemon(true);
    t.start();
  }

  private void deliver(boolean stderr, String line) {
    synchronized (lock) {
      if (++lines > MAX_LINES) {
        return;
      }
    }
    sink.line(stderr, line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "..." : line);
  }

  private static Optional<Path> findSetsid() {
    String path = System.getenv("PATH");
    return Stream.of((path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "setsid"))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
