package dev.spoke.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One suite running in a JVM of its own: its {@link Result} lines are collected, every other line is
 * shown on the console under the suite's name, lines starting with {@code @} are signals the harness
 * can wait for. A suite that fails, hangs or crashes yields a failure result, never a stuck run.
 *
 * <p>Thread-safe.
 */
final class Child {

  private final String name;
  private final Process process;
  private final List<Result> results = new ArrayList<>();
  private final BlockingQueue<String> signals = new LinkedBlockingQueue<>();
  private final Thread reader;

  private Child(String name, Process process) {
    this.name = name;
    this.process = process;
    this.reader = new Thread(this::read, "output of " + name);
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a suite in a JVM of its own with the options of every measured JVM. */
  static Child start(String name, Class<?> main, List<String> args) throws IOException {
    return start(name, main, Jvm.MEASURED, args);
  }

  /** Starts a suite in a JVM of its own with {@code options}. */
  static Child start(String name, Class<?> main, List<String> options, List<String> args) throws IOException {
    System.out.println("▶ " + name + "  (" + Bench.elapsed() + ")");
    return new Child(name, Jvm.start(main, options, args));
  }

  /** Runs a suite to its end, at most {@code timeoutSeconds}. */
  static List<Result> run(String name, Class<?> main, List<String> args, long timeoutSeconds) {
    try {
      return start(name, main, args).finish(timeoutSeconds);
    } catch (IOException e) {
      return List.of(Scenarios.failure(name, "start", e));
    }
  }

  private void read() {
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = out.readLine()) != null; ) {
        Result r = Result.decode(line);
        if (r != null) {
          synchronized (results) {
            results.add(r);
          }
        } else if (line.startsWith("@")) {
          signals.add(line);
        } else {
          System.out.println("  " + line);
        }
      }
    } catch (IOException e) {
      System.out.println("  (output of " + name + " lost: " + e + ")");
    }
  }

  /** Waits for the suite to print {@code signal}; false if it did not within the time or exited. */
  boolean await(String signal, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    for (;;) {
      String s = signals.poll(100, TimeUnit.MILLISECONDS);
      if (signal.equals(s)) {
        return true;
      }
      if (System.nanoTime() - deadline > 0 || (s == null && !process.isAlive() && signals.isEmpty())) {
        return false;
      }
    }
  }

  void send(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Waits for the suite to exit (killing it after {@code timeoutSeconds}) and returns its results. */
  List<Result> finish(long timeoutSeconds) {
    List<Result> out = new ArrayList<>();
    try {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        Jvm.killTree(process);
        out.add(Result.of("failure", name).put("what", "suite").put("error", "killed after " + timeoutSeconds + " s"));
      } else if (process.exitValue() != 0) {
        out.add(Result.of("failure", name).put("what", "suite").put("error", "exited with status " + process.exitValue()));
      }
      reader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Jvm.killTree(process);
      out.add(Result.of("failure", name).put("what", "suite").put("error", "interrupted"));
    }
    synchronized (results) {
      out.addAll(0, results);
    }
    return out;
  }
}
