package dev.spoke.bench;

import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVMs the harness starts, all with the same JDK, class path and options, so that no process of
 * one framework runs better tuned than the other's.
 */
final class Jvm {

  /**
   * Options of every measured JVM: clients, servers, hosts and plugins alike. The heap is touched at
   * start ({@code AlwaysPreTouch}): otherwise the first pass of allocation over each fresh heap page
   * takes a page fault, and the first point measured after a JVM starts (16 B, in every suite) had its
   * p99 at 26.6 µs instead of 2.25 µs (Spoke direct, alternating runs).
   */
  static final List<String> MEASURED = List.of(
      "-Xms1g", "-Xmx1g", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-Dorg.slf4j.simpleLogger.log.io.netty.bootstrap=error");

  /**
   * Options of the idle hosts (and of the floor's): those of the measured JVMs without the pre-touch,
   * which makes an idle JVM's own periodic threads several times busier (VM Periodic Task and G1 Service
   * 257 ms against 32 ms in 20 s with a 1 GiB heap), and so would hide what Spoke costs.
   */
  static final List<String> IDLE_HOST = MEASURED.stream().filter(o -> !o.equals("-XX:+AlwaysPreTouch")).toList();

  /** Options of the idle plugins: only their heap is smaller, as 16 of them run at once. */
  static final List<String> IDLE_PLUGIN = List.of(
      "-Xmx256m", "-XX:+UseG1GC", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

  private Jvm() {}

  static String javaExecutable() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** The command line that runs {@code mainClass} on this JVM's class path. */
  static List<String> command(Class<?> mainClass, List<String> options, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.addAll(args);
    return cmd;
  }

  /** Starts {@code mainClass} with stderr merged into stdout. */
  static Process start(Class<?> mainClass, List<String> options, List<String> args) throws IOException {
    return new ProcessBuilder(command(mainClass, options, args)).redirectErrorStream(true).start();
  }

  /** Kills a process and everything it started. */
  static void killTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
  }
}
