package dev.spoke.shm;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits for another process to end. On Linux 5.3 and later through a pidfd: the waiting thread sleeps
 * in {@code poll(2)} and wakes the moment the process exits (a pidfd becomes readable at exit, before
 * the parent reaps it, so a zombie counts as ended). So a plugin learns of its host's death at once and
 * spends nothing on it meanwhile, where reading {@code /proc} ten times a second cost an idle plugin
 * more CPU than everything else it did. Where pidfds are not available (an older kernel, a seccomp
 * filter) each wait sleeps and then asks {@link ProcessLiveness}.
 *
 * <p>One thread waits; {@link #close} is for that thread once it is done.
 */
final class ProcessWatch implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ProcessWatch.class);

  /** pidfd_open(2): the same number on x86-64 and aarch64. */
  private static final long SYS_PIDFD_OPEN = 434;
  private static final short POLLIN = 1;
  private static final boolean NATIVE;

  static {
    boolean ok = false;
    String os = System.getProperty("os.name", "").toLowerCase();
    String arch = System.getProperty("os.arch", "");
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
      try {
        Native.register(ProcessWatch.class, NativeLibrary.getInstance("c"));
        ok = true;
      } catch (Throwable t) {
        log.debug("no pidfd support ({}); liveness is polled", t.toString());
      }
    }
    NATIVE = ok;
  }

  private static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

  private static native int poll(Pointer fds, long count, int timeoutMillis);

  private static native int close(int fd);

  private final long pid;
  private final long startMillis;
  private final int fd;
  private final Memory pollFd;
  private boolean ended;

  private ProcessWatch(long pid, long startMillis, int fd) {
    this.pid = pid;
    this.startMillis = startMillis;
    this.fd = fd;
    this.pollFd = fd >= 0 ? new Memory(8) : null;
  }

  /**
   * Watches {@code pid}, which must be the process started at {@code startMillis} (0: any); a pid that
   * already names no such process is watched as ended.
   */
  static ProcessWatch of(long pid, long startMillis) {
    int fd = -1;
    if (NATIVE) {
      long r = syscall(SYS_PIDFD_OPEN, pid, 0, 0, 0, 0, 0);
      if (r >= 0) {
        fd = (int) r;
      }
    }
    ProcessWatch watch = new ProcessWatch(pid, startMillis, fd);
    try {
      // Checked after the pidfd is open: if the pid still names the process started then, the
      // descriptor is that process's, not a later one's that reused the pid.
      watch.ended = !ProcessLiveness.isAlive(pid, startMillis);
    } catch (RuntimeException | Error e) {
      watch.close();
      throw e;
    }
    return watch;
  }

  /** True if waits sleep in the kernel until the process ends, rather than polling. */
  boolean usesPidfd() {
    return fd >= 0;
  }

  /** Sleeps until the process ends or {@code timeoutNanos} pass; true once it has ended. */
  boolean awaitEnd(long timeoutNanos) {
    if (ended) {
      return true;
    }
    if (fd >= 0) {
      int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
      pollFd.setInt(0, fd);
      pollFd.setShort(4, POLLIN);
      pollFd.setShort(6, (short) 0);
      int r = poll(pollFd, 1, millis);
      if (r > 0 && (pollFd.getShort(6) & POLLIN) != 0) {
        ended = true; // a pidfd becomes readable when its process exits
      } else if (r != 0) {
        // Interrupted, or an error on the descriptor: look the slow way, and sleep out the wait rather
        // than spin if the descriptor keeps failing.
        ended = !ProcessLiveness.isAlive(pid, startMillis);
        if (!ended) {
          LockSupport.parkNanos(this, timeoutNanos);
        }
      }
      return ended;
    }
    LockSupport.parkNanos(this, timeoutNanos);
    ended = !ProcessLiveness.isAlive(pid, startMillis);
    return ended;
  }

  @Override
  public void close() {
    if (fd >= 0) {
      close(fd);
    }
  }
}
