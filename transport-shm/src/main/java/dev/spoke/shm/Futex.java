package dev.spoke.shm;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Linux {@code futex(2)} on words in the hub, through JNA direct mapping of {@code syscall(2)}. Shared
 * futexes (no {@code FUTEX_PRIVATE_FLAG}), so a wake in one process reaches a waiter in another.
 *
 * <p>{@code syscall} is variadic and JNA direct mapping does not support varargs, so it is bound with a
 * fixed prototype of seven integer arguments: on x86-64 and aarch64 integer arguments travel in the same
 * registers (and stack slots) either way, and glibc's {@code syscall} only moves them into place.
 *
 * <p>Where futexes are unavailable (another OS or architecture) {@link #AVAILABLE} is false and waits
 * fall back to timed parking; see {@link Doorbell}.
 *
 * <p>Thread-safe.
 */
final class Futex {

  private static final Logger log = LoggerFactory.getLogger(Futex.class);

  private static final int FUTEX_WAIT = 0;
  private static final int FUTEX_WAKE = 1;
  private static final long SYS_FUTEX;

  /** True if futex calls work here. */
  static final boolean AVAILABLE;

  private static final ThreadLocal<Memory> TIMESPEC = ThreadLocal.withInitial(() -> new Memory(16));

  static {
    String os = System.getProperty("os.name", "").toLowerCase();
    String arch = System.getProperty("os.arch", "");
    long number = -1;
    if (os.contains("linux")) {
      if (arch.equals("amd64") || arch.equals("x86_64")) {
        number = 202;
      } else if (arch.equals("aarch64")) {
        number = 98;
      }
    }
    boolean ok = false;
    if (number > 0) {
      try {
        Native.register(Futex.class, NativeLibrary.getInstance("c"));
        ok = true;
      } catch (Throwable t) {
        log.warn("futex unavailable ({}); doorbells fall back to timed parking", t.toString());
      }
    } else {
      log.warn("no futex on {} {}; doorbells fall back to timed parking", os, arch);
    }
    SYS_FUTEX = number;
    AVAILABLE = ok;
  }

  private Futex() {}

  private static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

  /** The native address of a direct buffer's first byte. */
  static long address(ByteBuffer direct) {
    return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
  }

  /**
   * Sleeps while the int at {@code address} equals {@code expected}, up to {@code timeoutNanos}, or
   * until woken. Returns early and spuriously at times; callers re-check their condition.
   */
  static void await(long address, int expected, long timeoutNanos) {
    Memory ts = TIMESPEC.get();
    ts.setLong(0, timeoutNanos / 1_000_000_000L);
    ts.setLong(8, timeoutNanos % 1_000_000_000L);
    syscall(SYS_FUTEX, address, FUTEX_WAIT, expected & 0xFFFFFFFFL, Pointer.nativeValue(ts), 0, 0);
  }

  /** Wakes up to {@code count} waiters on the int at {@code address}. */
  static void wake(long address, int count) {
    syscall(SYS_FUTEX, address, FUTEX_WAKE, count, 0, 0, 0);
  }

  /** The calling process's user id, for the per-user hub directory; -1 if unknown. */
  static int uid() {
    try {
      return Libc.getuid();
    } catch (Throwable t) {
      return -1;
    }
  }

  private static final class Libc {
    static {
      Native.register(Libc.class, NativeLibrary.getInstance("c"));
    }

    static native int getuid();
  }
}
