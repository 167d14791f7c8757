package dev.spoke.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A child JVM running a test main class on this test's class path, for tests that must cross a real
 * process boundary. Its stdout lines are queued for {@link #awaitLine}; the tail of its stderr is kept
 * for failure messages. Closing it kills it.
 */
public final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
  private final AtomicLong stderrBytes = new AtomicLong();
  /** Failed assertions of Spoke's code the child reported on stderr: the error's line and its first frame. */
  private final List<String> failedAssertions = new CopyOnWriteArrayList<>();
  /** The stderr pump's own: the last line naming an AssertionError, until the frame after it is read. */
  private String assertionLine;
  private volatile Thread stderrPump;
  private final Writer stdin;
  private final String description;

  private ChildJvm(Process process, String description) {
    this.process = process;
    this.description = description;
    this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    pump(new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), true);
    pump(new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), false);
  }

  public static ChildJvm start(Class<?> main, String... args) throws IOException {
    return start(System.getProperty("java.class.path"), main.getName(), args);
  }

  /** A child JVM running the class named {@code mainClass} on {@code classpath}. */
  public static ChildJvm start(String classpath, String mainClass, String... args) throws IOException {
    return start(List.of(), classpath, mainClass, args);
  }

  /**
   * A child JVM with {@code jvmOptions} besides the usual ones (such as {@code
   * -XX:ActiveProcessorCount=1}), running {@code main} on this test's class path.
   */
  public static ChildJvm startWith(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
    return start(jvmOptions, System.getProperty("java.class.path"), main.getName(), args);
  }

  private static ChildJvm start(List<String> jvmOptions, String classpath, String mainClass, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-ea"); // the ownership assertions run in child processes too
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    return new ChildJvm(p, mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args));
  }

  private void pump(BufferedReader reader, boolean out) {
    Thread t = new Thread(() -> {
      try {
        String line;
        while ((line = reader.readLine()) != null) {
          if (out) {
            lines.add(line);
          } else {
            if (assertionLine != null && line.startsWith("\tat ")) {
              if (line.startsWith("\tat dev.spoke.")) {
                failedAssertions.add(assertionLine + "\n" + line);
              }
              assertionLine = null;
            }
            if (line.contains("java.lang.AssertionError")) {
              assertionLine = line;
            }
            stderrBytes.addAndGet(line.length() + 1L);
            synchronized (stderrTail) {
              stderrTail.add(line);
              if (stderrTail.size() > 40) {
                stderrTail.poll();
              }
            }
          }
        }
      } catch (IOException e) {
        // the child went away
      }
    }, "child-" + (out ? "stdout" : "stderr"));
    t.setDaemon(true);
    if (!out) {
      stderrPump = t;
    }
    t.start();
  }

  /** Waits for a stdout line starting with {@code prefix}; fails with the child's stderr if none comes. */
  public String awaitLine(String prefix, long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    for (;;) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS) : null;
      if (line != null) {
        if (line.startsWith(prefix)) {
          return line;
        }
        if (line.startsWith("FAIL")) {
          throw new AssertionError(description + ": " + line + "\n" + stderr());
        }
        continue;
      }
      if (left <= 0) {
        throw new AssertionError("no line '" + prefix + "…' from " + description + " within " + timeout + " " + unit
            + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + "\nits stderr:\n" + stderr());
      }
      if (!process.isAlive() && lines.isEmpty()) {
        Thread.sleep(50); // let the pump deliver the last lines
        if (lines.isEmpty()) {
          throw new AssertionError(description + " exited with " + process.exitValue() + " before '" + prefix
              + "…'\nits stderr:\n" + stderr());
        }
      }
    }
  }

  /**
   * The next line the child wrote to stdout, or null if none came within the timeout: for children
   * that report a stream of events. Do not mix with {@link #awaitLine}, which skips what it does not
   * wait for.
   */
  public String pollLine(long timeout, TimeUnit unit) throws InterruptedException {
    return lines.poll(timeout, unit);
  }

  public void send(String line) throws IOException {
    stdin.write(line + "\n");
    stdin.flush();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hooks, no cleanup, like a crash. */
  public void kill9() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public int waitFor(long timeout, TimeUnit unit) throws InterruptedException {
    if (!process.waitFor(timeout, unit)) {
      throw new AssertionError(description + " did not exit within " + timeout + " " + unit + "\n" + stderr());
    }
    return process.exitValue();
  }

  /** How much the child has written to stderr so far (characters, line ends included): its log's size. */
  public long stderrBytes() {
    return stderrBytes.get();
  }

  public String stderr() {
    synchronized (stderrTail) {
      return String.join("\n", stderrTail);
    }
  }

  /**
   * Ends the child if it still runs, and fails if it reported a failed assertion of Spoke's code on
   * stderr meanwhile (an error its receive thread logged and survived, or a plugin's error its host
   * forwarded), though the test's own checks passed.
   */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      // So that the pump has read all it wrote: the stream ends with the process.
      if (process.waitFor(10, TimeUnit.SECONDS) && stderrPump != null) {
        stderrPump.join(TimeUnit.SECONDS.toMillis(5));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!failedAssertions.isEmpty()) {
      throw new AssertionError(description + " failed an assertion of Spoke's code:\n"
          + String.join("\n", failedAssertions) + "\nits stderr:\n" + stderr());
    }
  }
}
