package dev.spoke.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of processes and their threads, from Linux's {@code /proc}. Per-thread {@code schedstat}
 * counts nanoseconds; the process's {@code stat} counts clock ticks (10 ms) but includes threads that
 * have exited. {@link Sample#cpuNanosSince} takes the thread sum unless threads that exited used
 * noticeably more, so a figure of a fraction of a percent is not lost in tick rounding.
 *
 * <p>Immutable samples; thread-safe.
 */
final class ProcCpu {

  /** Clock ticks per second of {@code /proc/<pid>/stat} (USER_HZ, 100 on every Linux we run on). */
  static final long TICKS_PER_SECOND = 100;

  private static final long NANOS_PER_TICK = 1_000_000_000L / TICKS_PER_SECOND;

  private ProcCpu() {}

  /** CPU times of one process at one moment. */
  static final class Sample {
    final long pid;
    final long statNanos;
    /** Thread id → {name, nanoseconds}. */
    final Map<Long, ThreadTime> threads;

    Sample(long pid, long statNanos, Map<Long, ThreadTime> threads) {
      this.pid = pid;
      this.statNanos = statNanos;
      this.threads = threads;
    }

    /** CPU used since {@code earlier}, in nanoseconds. */
    long cpuNanosSince(Sample earlier) {
      long threadSum = 0;
      for (Map.Entry<Long, ThreadTime> e : threads.entrySet()) {
        ThreadTime before = earlier.threads.get(e.getKey());
        threadSum += e.getValue().nanos - (before == null ? 0 : before.nanos);
      }
      long byTicks = statNanos == 0 || earlier.statNanos == 0 ? 0 : statNanos - earlier.statNanos;
      // NOTE: ticks are coarse (±1 per reading); only a gap beyond two ticks means exited threads.
      return byTicks - threadSum > 2 * NANOS_PER_TICK ? byTicks : threadSum;
    }

    /** CPU per thread name since {@code earlier} (threads of one name are summed). */
    Map<String, Long> byThreadSince(Sample earlier) {
      Map<String, Long> out = new HashMap<>();
      for (Map.Entry<Long, ThreadTime> e : threads.entrySet()) {
        ThreadTime before = earlier.threads.get(e.getKey());
        long used = e.getValue().nanos - (before == null ? 0 : before.nanos);
        out.merge(e.getValue().name, used, Long::sum);
      }
      return out;
    }
  }

  static final class ThreadTime {
    final String name;
    final long nanos;

    ThreadTime(String name, long nanos) {
      this.name = name;
      this.nanos = nanos;
    }
  }

  /** The CPU times of {@code pid} now; a process that is gone reads as empty. */
  static Sample sample(long pid) {
    return sample(pid, -1);
  }

  /**
   * The CPU times of this process's threads other than the one that calls (which measures, and is no
   * part of what is measured).
   */
  static Sample sampleOthersOfSelf() {
    long self = ProcessHandle.current().pid();
    return sample(self, gettid());
  }

  /** The caller's thread id: on Linux, /proc/thread-self names it. */
  private static long gettid() {
    try {
      return Long.parseLong(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static Sample sample(long pid, long excludedTid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    Map<Long, ThreadTime> threads = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
      for (Path task : tasks) {
        try {
          if (Long.parseLong(task.getFileName().toString()) == excludedTid) {
            continue;
          }
          String schedstat = Files.readString(task.resolve("schedstat")).trim();
          long nanos = Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
          String name = Files.readString(task.resolve("comm")).trim();
          threads.put(Long.parseLong(task.getFileName().toString()), new ThreadTime(name, nanos));
        } catch (IOException | RuntimeException e) {
          // the thread exited while we read
        }
      }
    } catch (IOException e) {
      return new Sample(pid, 0, threads);
    }
    // Without one thread, the process's tick count no longer matches: 0 makes the thread sum count.
    return new Sample(pid, excludedTid < 0 ? statTicks(proc) * NANOS_PER_TICK : 0, threads);
  }

  /**
   * CPU time the JIT compiler threads have used, in ns, summed over this process and every process it
   * started (the server of a suite runs in a child): while it grows, what is measured is still being
   * compiled, and on a machine of two cores the compilers also take the cores the calls need.
   */
  static long compilerNanos() {
    long sum = compilerNanos(ProcessHandle.current().pid());
    for (long pid : ProcessHandle.current().descendants().mapToLong(ProcessHandle::pid).toArray()) {
      sum += compilerNanos(pid);
    }
    return sum;
  }

  /**
   * Which threads seen so far are compiler threads, by their /proc task path: a thread's name is read
   * once, so a look costs a directory listing and the few compiler threads' schedstat, not a read of
   * every thread's files (half a megabyte of garbage a look, in the JVM that measures). A thread id
   * the kernel reuses keeps its first thread's verdict: rare within a run, and it only bends the rule.
   */
  private static final Map<Path, Boolean> COMPILER_TASKS = new java.util.concurrent.ConcurrentHashMap<>();

  private static long compilerNanos(long pid) {
    long sum = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        try {
          if (COMPILER_TASKS.computeIfAbsent(task, ProcCpu::isCompilerThread)) {
            String schedstat = Files.readString(task.resolve("schedstat")).trim();
            sum += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
          }
        } catch (IOException | RuntimeException e) {
          // the thread exited while we read
        }
      }
    } catch (IOException e) {
      // the process exited
    }
    return sum;
  }

  private static boolean isCompilerThread(Path task) {
    try {
      String name = Files.readString(task.resolve("comm"));
      return name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler");
    } catch (IOException e) {
      return false; // it exited
    }
  }

  /** utime + stime of a process, in ticks, or 0 if it is gone. */
  static long statTicks(Path proc) {
    try {
      String stat = Files.readString(proc.resolve("stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields after the command: state(3) ... utime(14) stime(15), numbered from 1 with pid and comm
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** utime + stime + cutime + cstime of this process (itself and every child it has reaped), in ns. */
  static long selfAndReapedChildrenNanos() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
      return ticks * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
