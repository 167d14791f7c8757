package dev.spoke.shm;

/**
 * Recognises the JVM's report of a fault in a memory access to a mapped file: when the file behind a
 * mapping shrinks (a hub file truncated by another process), touching a page past its new end raises
 * SIGBUS, which the JVM turns into an {@link InternalError} "a fault occurred in a recent unsafe memory
 * access operation" — thrown at the access, or a little later in the same thread. Hub code that catches
 * one asks the hub whether its file is still whole, and reports the hub lost rather than the raw error.
 */
final class MemoryFault {
  private MemoryFault() {}

  /** True if {@code t} is the JVM's InternalError for a faulting memory access. */
  static boolean is(Throwable t) {
    if (!(t instanceof InternalError)) {
      return false;
    }
    String m = t.getMessage();
    return m != null && m.contains("unsafe memory access");
  }
}
