package dev.spoke.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The machine a run measured, and how busy it was: CPU model, cores, memory, JDK and OS, plus the load
 * average and the CPU used by processes other than the run's own (from {@code /proc/stat} minus this
 * process and the children it reaped) over the run.
 *
 * <p>Immutable after {@link #finish}; not thread-safe.
 */
final class Machine {

  /** Above this share of the machine used by others, a run is marked preliminary. */
  static final double BUSY_SHARE = 0.05;

  final String cpu;
  final int cores;
  final long memoryBytes;
  final String jdk;
  final String os;
  final boolean virtual;
  final String loadBefore;
  private final long[] statBefore;
  private final long ownBefore;
  private final long startMillis = System.currentTimeMillis();
  String loadAfter;
  double othersShare = Double.NaN;
  double stealShare = Double.NaN;
  long durationMillis;

  private Machine() {
    this.cpu = cpuModel();
    this.cores = Runtime.getRuntime().availableProcessors();
    this.memoryBytes = memTotal();
    this.jdk = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vendor") + ")";
    this.os = osName() + ", kernel " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
    this.virtual = readFirst(Path.of("/proc/cpuinfo"), "flags").contains(" hypervisor");
    this.loadBefore = loadAverage();
    this.statBefore = cpuStat();
    this.ownBefore = ProcCpu.selfAndReapedChildrenNanos();
  }

  static Machine start() {
    return new Machine();
  }

  /** Records the load at the end of the run. */
  Machine finish() {
    loadAfter = loadAverage();
    durationMillis = System.currentTimeMillis() - startMillis;
    long[] statAfter = cpuStat();
    long own = ProcCpu.selfAndReapedChildrenNanos() - ownBefore;
    if (statBefore != null && statAfter != null && ownBefore >= 0) {
      long total = 0;
      for (int i = 0; i < statAfter.length; i++) {
        total += statAfter[i] - statBefore[i];
      }
      // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait
      long idle = (statAfter[3] - statBefore[3]) + (statAfter[4] - statBefore[4]);
      long busyNanos = (total - idle) * (1_000_000_000L / ProcCpu.TICKS_PER_SECOND);
      long totalNanos = total * (1_000_000_000L / ProcCpu.TICKS_PER_SECOND);
      if (totalNanos > 0) {
        othersShare = Math.max(0, (double) (busyNanos - own) / totalNanos);
        stealShare = (double) (statAfter[7] - statBefore[7]) / total;
      }
    }
    return this;
  }

  /**
   * True if someone else used a noticeable share of the machine while we measured. The CPU others used
   * during the run decides; the load average before it, which mostly remembers the minutes before (a
   * build, say), only where that share could not be measured.
   */
  boolean wasBusy() {
    if (!Double.isNaN(othersShare)) {
      return othersShare >= BUSY_SHARE;
    }
    return loadBefore.isEmpty() || firstLoad(loadBefore) > cores * 0.25;
  }

  List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add("CPU: " + cpu + ", " + cores + " logical CPUs" + (virtual ? " (virtual machine)" : ""));
    lines.add("Memory: " + Format.sig3(memoryBytes / (double) (1L << 30)) + " GiB");
    lines.add("JDK: " + jdk);
    lines.add("OS: " + os);
    lines.add("Load average (1, 5, 15 min) before: " + loadBefore + "; after: " + loadAfter);
    lines.add(String.format(Locale.ROOT, "Other processes used %s of the machine's CPU during the run%s; the run took %d s",
        Format.percent(othersShare), Double.isNaN(stealShare) || stealShare < 0.001 ? ""
            : " (and the hypervisor stole " + Format.percent(stealShare) + ")", durationMillis / 1000));
    return lines;
  }

  private static double firstLoad(String load) {
    try {
      return Double.parseDouble(load.split(" ")[0]);
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private static String cpuModel() {
    String model = readFirst(Path.of("/proc/cpuinfo"), "model name");
    int colon = model.indexOf(':');
    return colon < 0 ? System.getProperty("os.arch") : model.substring(colon + 1).trim();
  }

  private static long memTotal() {
    String line = readFirst(Path.of("/proc/meminfo"), "MemTotal");
    try {
      return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    } catch (NumberFormatException e) {
      return Runtime.getRuntime().maxMemory();
    }
  }

  private static String osName() {
    String pretty = readFirst(Path.of("/etc/os-release"), "PRETTY_NAME=");
    return pretty.isEmpty() ? System.getProperty("os.name") : pretty.substring(pretty.indexOf('=') + 1).replace("\"", "");
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  /** The first line of {@code /proc/stat}: jiffies of user, nice, system, idle, iowait, irq, softirq, steal. */
  private static long[] cpuStat() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long[] v = new long[8];
      for (int i = 0; i < v.length; i++) {
        v[i] = Long.parseLong(f[i + 1]);
      }
      return v;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static String readFirst(Path file, String prefix) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    } catch (IOException e) {
      // not Linux, or not readable
    }
    return "";
  }
}
