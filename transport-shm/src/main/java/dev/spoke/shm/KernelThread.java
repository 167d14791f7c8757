package dev.spoke.shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The Linux thread behind a Java thread, as {@code /proc} shows it: its id, whether it is runnable, and
 * how much CPU time it has had. A receive loop's standby reads it for a thread it finds in application
 * code for the whole hand-off limit, to tell a thread that blocks or computes (take it over) from one
 * that merely waits for a core (on a machine whose every core is busy, a spinning loop preempts it for a
 * time slice or more; taking it over then adds a runnable thread, which gains nothing).
 *
 * <p>Costs a few file reads, so only the standby calls {@link #sample}, and only for a thread that is
 * due. Where {@code /proc} does not have what is needed (another OS, a kernel without schedstat), every
 * method says "unknown" (0 or null), and the standby judges by time alone, as it would without this.
 * Thread-safe.
 */
final class KernelThread {

  private static final Path THREAD_SELF = Paths.get("/proc/thread-self");
  private static final Path TASKS = Paths.get("/proc/self/task");

  private KernelThread() {}

  /** A thread's state at one moment. */
  static final class Sample {
    private final char state;
    private final long cpuNanos;

    Sample(char state, long cpuNanos) {
      this.state = state;
      this.cpuNanos = cpuNanos;
    }

    /**
     * True if the thread was running or waiting for a core ({@code R}); false if it slept or waited in
     * the kernel (a park, a sleep, I/O, a lock, a page fault), or was stopped.
     */
    boolean runnable() {
      return state == 'R';
    }

    /** The CPU time the thread has had in its life, in nanoseconds. */
    long cpuNanos() {
      return cpuNanos;
    }

    @Override
    public String toString() {
      return "state " + state + ", " + cpuNanos / 1000 + " µs on a CPU";
    }
  }

  /** The calling thread's kernel id, or 0 if unknown. */
  static int currentId() {
    try {
      // "<pid>/task/<tid>"
      String link = Files.readSymbolicLink(THREAD_SELF).toString();
      return Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /** The state of thread {@code id} of this process now, or null if it cannot be read (or has ended). */
  static Sample sample(int id) {
    if (id <= 0) {
      return null;
    }
    try {
      Path task = TASKS.resolve(Integer.toString(id));
      // NOTE: stat is "<tid> (<name>) <state> ..." and a name may hold spaces and parentheses: the
      // state follows the last ')'.
      String stat = new String(Files.readAllBytes(task.resolve("stat")), StandardCharsets.US_ASCII);
      int close = stat.lastIndexOf(')');
      if (close < 0 || close + 2 >= stat.length()) {
        return null;
      }
      char state = stat.charAt(close + 2);
      // schedstat: "<ns on a CPU> <ns waiting for one> <time slices>", with nanosecond precision (stat's
      // own times count in clock ticks of 10 ms, coarser than a hand-off limit).
      String schedstat = new String(Files.readAllBytes(task.resolve("schedstat")), StandardCharsets.US_ASCII);
      int space = schedstat.indexOf(' ');
      if (space <= 0) {
        return null;
      }
      return new Sample(state, Long.parseLong(schedstat.substring(0, space)));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
