package dev.spoke.shm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether a process still runs. {@link ProcessHandle#isAlive()} counts a zombie — a process that has
 * exited but was not yet reaped by its parent — as alive; a host killed while its parent (often init in
 * a container) is slow to reap would then look alive to its plugins for seconds. On Linux the state in
 * {@code /proc/<pid>/stat} says Z for those, and a zombie is dead.
 */
final class ProcessLiveness {
  private ProcessLiveness() {}

  /** True if {@code pid} runs a live process (not a zombie) started at {@code startMillis} (0: any). */
  static boolean isAlive(long pid, long startMillis) {
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    if (handle.isEmpty() || !handle.get().isAlive() || isZombie(pid)) {
      return false;
    }
    if (startMillis != 0) {
      Optional<Instant> started = handle.get().info().startInstant();
      // More than a second apart: the pid now belongs to another process.
      return started.isEmpty() || Math.abs(started.get().toEpochMilli() - startMillis) <= 1000;
    }
    return true;
  }

  private static boolean isZombie(long pid) {
    try {
      String stat = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat")), StandardCharsets.US_ASCII);
      // pid (comm) state ...: the command may hold spaces and parentheses, so read after the last ')'.
      int close = stat.lastIndexOf(')');
      return close > 0 && close + 2 < stat.length() && (stat.charAt(close + 2) == 'Z' || stat.charAt(close + 2) == 'X');
    } catch (NoSuchFileException e) {
      return false; // gone (ProcessHandle decides), or no /proc on this system
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
