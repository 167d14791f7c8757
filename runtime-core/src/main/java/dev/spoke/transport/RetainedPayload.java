package dev.spoke.transport;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import dev.spoke.internal.BufferCleaner;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The payload of a delivered frame that its receiver keeps beyond the delivery ({@link
 * Transport#retainPayload}): the transport's own buffer (a slot of shared memory, for the hub), not a
 * copy, held until {@link #release()}.
 *
 * <p>A payload that becomes unreachable without being released is released then, by a cleaner thread,
 * and counted and logged as a leak ({@link #leaks()}): the buffer it held was out of use from the moment
 * it was dropped until the next garbage collection noticed.
 *
 * <p>Thread-safe: any thread may release it, once; later releases do nothing.
 */
public final class RetainedPayload {

  private static final Logger log = LoggerFactory.getLogger(RetainedPayload.class);
  private static final LongAdder LEAKS = new LongAdder();
  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(RetainedPayload.class, "released", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final ByteBuffer buffer;
  private final Release release;
  private final Cleaner.Cleanable cleanable;
  private volatile boolean released;
  private volatile boolean kept;

  /**
   * A payload held in {@code buffer} (read-only; its position and limit frame the payload) until {@code
   * free} runs, once. For transports: the call layer receives these from {@link
   * Transport#retainPayload}.
   *
   * @param what names the buffer in a leak's log line, for example the slot and the sender
   */
  public RetainedPayload(ByteBuffer buffer, Runnable free, String what) {
    this.buffer = Objects.requireNonNull(buffer, "buffer");
    this.release = new Release(Objects.requireNonNull(free, "free"), what, buffer.remaining());
    this.cleanable = BufferCleaner.get().register(this, release);
  }

  /**
   * The payload's bytes, from the buffer's position to its limit; read-only, and valid until released.
   * One owner at a time may move its position.
   */
  public ByteBuffer buffer() {
    return buffer;
  }

  /**
   * Gives the buffer back to the transport. Returns true for the call that released it, false if it
   * was released before. The bytes must not be read after this.
   */
  public boolean release() {
    if (!RELEASED.compareAndSet(this, false, true)) {
      return false;
    }
    release.explicit = true;
    cleanable.clean();
    return true;
  }

  /**
   * Marks the payload as kept by its holder beyond what the call layer would hold it for: only an
   * explicit {@link #release()} (or the cleaner) frees it from then on.
   */
  public void keep() {
    kept = true;
  }

  /** True once {@link #keep()} was called. */
  public boolean isKept() {
    return kept;
  }

  /** True once {@link #release()} ran. */
  public boolean isReleased() {
    return released;
  }

  /** Payloads of this process that were released only because they became unreachable. */
  public static long leaks() {
    return LEAKS.sum();
  }

  @Override
  public String toString() {
    return "RetainedPayload{" + release.what + ", " + release.length + " bytes" + (released ? ", released" : "") + "}";
  }

  /** What release does; it holds no reference to the payload object, so the cleaner can see it go. */
  private static final class Release implements Runnable {
    final Runnable free;
    final String what;
    final int length;
    volatile boolean explicit;

    Release(Runnable free, String what, int length) {
      this.free = free;
      this.what = what;
      this.length = length;
    }

    @Override
    public void run() {
      if (!explicit) {
        LEAKS.increment();
        long n = LEAKS.sum();
        if (Long.bitCount(n) == 1) { // the 1st, 2nd, 4th, 8th... leak: every one is a bug, not every one a line
          log.warn("a zero-copy message ({} bytes, {}) was never released; its buffer is freed only now that the "
              + "message was garbage-collected. Call ZeroCopy.release(message) when done with it ({} such so far)",
              length, what, n);
        }
      }
      try {
        free.run();
      } catch (RuntimeException e) {
        log.warn("could not free {}: {}", what, e.toString());
      }
    }
  }
}
