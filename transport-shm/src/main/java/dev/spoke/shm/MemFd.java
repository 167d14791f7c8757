package dev.spoke.shm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux anonymous memory files ({@code memfd_create(2)}) and their seals ({@code fcntl(2)} {@code
 * F_ADD_SEALS}), through JNA direct mapping of {@code syscall(2)} as in {@link Futex}: a hub in such a
 * file, sealed against shrinking and growing, cannot be truncated by anyone, so no access to its mapping
 * can ever fault; and the memory goes with the last process that holds it, so nothing is left behind.
 *
 * <p>{@link #AVAILABLE} says whether the calls can be made at all (Linux on x86-64 or aarch64); a
 * kernel older than 3.17, or a seccomp filter, may still refuse them, which {@link #create} reports.
 *
 * <p>Thread-safe.
 */
final class MemFd {

  private static final Logger log = LoggerFactory.getLogger(MemFd.class);

  private static final int MFD_CLOEXEC = 0x1;
  private static final int MFD_ALLOW_SEALING = 0x2;
  /** Linux 6.3+: the file can never be made executable. Older kernels refuse the flag (EINVAL). */
  private static final int MFD_NOEXEC_SEAL = 0x8;
  private static final int F_ADD_SEALS = 1033;
  private static final int F_GET_SEALS = 1034;
  private static final int EINVAL = 22;

  /** No more seals can be added (or removed: seals never can be). */
  static final int F_SEAL_SEAL = 0x1;
  /** The file cannot be made smaller. */
  static final int F_SEAL_SHRINK = 0x2;
  /** The file cannot be made larger. */
  static final int F_SEAL_GROW = 0x4;

  private static final long SYS_MEMFD_CREATE;
  private static final long SYS_FCNTL;
  private static final long SYS_FCHMOD;
  private static final long SYS_CLOSE;

  /** True if the system calls can be made here. */
  static final boolean AVAILABLE;

  static {
    String os = System.getProperty("os.name", "").toLowerCase();
    String arch = System.getProperty("os.arch", "");
    long memfd = -1;
    long fcntl = -1;
    long fchmod = -1;
    long close = -1;
    if (os.contains("linux")) {
      if (arch.equals("amd64") || arch.equals("x86_64")) {
        memfd = 319;
        fcntl = 72;
        fchmod = 91;
        close = 3;
      } else if (arch.equals("aarch64")) {
        memfd = 279;
        fcntl = 25;
        fchmod = 52;
        close = 57;
      }
    }
    boolean ok = false;
    if (memfd > 0) {
      try {
        Native.register(MemFd.class, NativeLibrary.getInstance("c"));
        ok = true;
      } catch (Throwable t) {
        log.debug("memfd unavailable ({}); hubs are plain files", t.toString());
      }
    }
    SYS_MEMFD_CREATE = memfd;
    SYS_FCNTL = fcntl;
    SYS_FCHMOD = fchmod;
    SYS_CLOSE = close;
    AVAILABLE = ok;
  }

  private MemFd() {}

  private static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6)
      throws LastErrorException;

  /**
   * Creates an anonymous memory file that can be sealed, closed on exec, and (where the kernel knows
   * how) never executable; {@code name} shows in {@code /proc/<pid>/fd} listings. Returns its
   * descriptor.
   *
   * @throws IOException if the kernel refuses, saying why
   */
  static int create(String name) throws IOException {
    if (!AVAILABLE) {
      throw new IOException("memfd_create is not available on this system");
    }
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    Memory cName = new Memory(bytes.length + 1L);
    cName.write(0, bytes, 0, bytes.length);
    cName.setByte(bytes.length, (byte) 0);
    try {
      return (int) call(SYS_MEMFD_CREATE, Pointer.nativeValue(cName), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() != EINVAL) {
        throw new IOException("memfd_create failed: " + describe(e), e);
      }
    }
    try {
      return (int) call(SYS_MEMFD_CREATE, Pointer.nativeValue(cName), MFD_CLOEXEC | MFD_ALLOW_SEALING, 0);
    } catch (LastErrorException e) {
      throw new IOException("memfd_create failed: " + describe(e), e);
    }
  }

  /** Adds {@code seals} (F_SEAL_* bits) to the file. */
  static void addSeals(int fd, int seals) throws IOException {
    try {
      call(SYS_FCNTL, fd, F_ADD_SEALS, seals);
    } catch (LastErrorException e) {
      throw new IOException("fcntl(F_ADD_SEALS) failed: " + describe(e), e);
    }
  }

  /** The seals the file carries (F_SEAL_* bits). */
  static int seals(int fd) throws IOException {
    try {
      return (int) call(SYS_FCNTL, fd, F_GET_SEALS, 0);
    } catch (LastErrorException e) {
      throw new IOException("fcntl(F_GET_SEALS) failed: " + describe(e), e);
    }
  }

  /** Sets the file's mode bits. */
  static void chmod(int fd, int mode) throws IOException {
    try {
      call(SYS_FCHMOD, fd, mode, 0);
    } catch (LastErrorException e) {
      throw new IOException("fchmod failed: " + describe(e), e);
    }
  }

  /** Closes the descriptor; errors are only logged (there is nothing left to do about them). */
  static void close(int fd) {
    try {
      call(SYS_CLOSE, fd, 0, 0);
    } catch (LastErrorException e) {
      log.debug("close({}) failed: {}", fd, describe(e));
    }
  }

  private static long call(long number, long a1, long a2, long a3) {
    return syscall(number, a1, a2, a3, 0, 0, 0);
  }

  private static String describe(LastErrorException e) {
    return "errno " + e.getErrorCode() + " (" + e.getMessage() + ")";
  }
}
