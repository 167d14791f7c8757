package dev.spoke.internal;

import dev.spoke.transport.RetainedPayload;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The received messages that still hold their transport buffer (zero-copy messages: their marshaller
 * reads in place), each with the payload it holds, so that {@code ZeroCopy.release(message)} finds it.
 *
 * <p>Keyed by the message's identity, weakly: a message the application drops without releasing leaves
 * this table when it is collected, and its payload, then unreachable, is released by the payload's own
 * cleaner and reported as a leak ({@link RetainedPayload#leaks()}).
 *
 * <p>Thread-safe. Internal: not for applications.
 */
public final class HeldMessages {

  private static final ConcurrentHashMap<Key, RetainedPayload> HELD = new ConcurrentHashMap<>();

  private HeldMessages() {}

  /**
   * Records that {@code message} reads {@code payload}'s buffer. Returns false (and records nothing) if
   * the same object is already held, as a marshaller that returns one shared instance would make it:
   * the caller then releases the payload at once.
   */
  static boolean hold(Object message, RetainedPayload payload) {
    Key key = new Key(message);
    if (HELD.putIfAbsent(key, payload) != null) {
      return false;
    }
    BufferCleaner.get().register(message, () -> HELD.remove(key));
    return true;
  }

  /** Releases the payload {@code message} holds; false if it holds none (any more). Any thread. */
  public static boolean release(Object message) {
    if (message == null) {
      return false;
    }
    RetainedPayload p = HELD.remove(new Key(message));
    return p != null && p.release();
  }

  /**
   * Marks {@code message} as kept by the application: the call that delivered it will not release it
   * when it ends. Returns false if it holds no buffer.
   */
  public static boolean keep(Object message) {
    RetainedPayload p = message == null ? null : HELD.get(new Key(message));
    if (p == null) {
      return false;
    }
    p.keep();
    return true;
  }

  /** Releases {@code message}'s buffer unless the application kept it ({@link #keep}). */
  static void releaseUnlessKept(Object message) {
    RetainedPayload p = HELD.get(new Key(message));
    if (p != null && !p.isKept() && HELD.remove(new Key(message), p)) {
      p.release();
    }
  }

  /** True if {@code message} still holds a transport buffer. */
  public static boolean isHeld(Object message) {
    return message != null && HELD.containsKey(new Key(message));
  }

  /** How many received messages of this process hold a transport buffer now. */
  public static int count() {
    return HELD.size();
  }

  /** A message's identity that does not keep the message alive. */
  private static final class Key extends WeakReference<Object> {
    private final int hash;

    Key(Object referent) {
      super(referent);
      this.hash = System.identityHashCode(referent);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (this == o) {
        return true;
      }
      if (!(o instanceof Key)) {
        return false;
      }
      Object mine = get();
      return mine != null && mine == ((Key) o).get();
    }
  }
}
