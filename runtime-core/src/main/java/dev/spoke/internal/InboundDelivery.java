package dev.spoke.internal;

/**
 * What a thread holds while it delivers a transport's inbound frames — a ring's consumer role, a
 * receive loop's leadership — so that it can give all of it up before it blocks.
 *
 * <p>Why: a handler bound to a direct executor runs on the thread that delivered its frame. If that
 * handler makes a blocking call, the thread parks; were it still holding the consumer role of its
 * ring, or the leadership of its process's receive loop, nobody would deliver the response it waits for
 * (nor anybody else's frames) and every call through that loop would stall. So every wait of the call
 * layer that may park ({@link ThreadlessExecutor}) first calls {@link #relinquishAll()}: each role the
 * thread holds is handed on (another thread becomes the receive loop, the ring's consumer lock is
 * released), and the thread waits as an ordinary caller. When it comes back to the delivery code it
 * finds its role gone and stops delivering.
 *
 * <p>Roles are registered in nesting order and given up innermost first. Per thread; not shared.
 */
public final class InboundDelivery {

  /** A role a delivering thread holds. */
  public interface Role {
    /**
     * Called on the holding thread before it blocks: hand the role on (or release it) so that
     * delivery continues without this thread. Must not block.
     */
    void relinquish();
  }

  private static final ThreadLocal<Held> HELD = ThreadLocal.withInitial(Held::new);

  /** The roles one thread holds, innermost last. */
  private static final class Held {
    Role[] roles = new Role[4];
    int count;
  }

  private InboundDelivery() {}

  /** The calling thread now holds {@code role}; pair with {@link #leave}. */
  public static void enter(Role role) {
    Held h = HELD.get();
    if (h.count == h.roles.length) {
      h.roles = java.util.Arrays.copyOf(h.roles, h.count * 2);
    }
    h.roles[h.count++] = role;
  }

  /**
   * The calling thread no longer holds {@code role} (it released it normally, or it was relinquished
   * before). A no-op if the role is not registered.
   */
  public static void leave(Role role) {
    Held h = HELD.get();
    for (int i = h.count - 1; i >= 0; i--) {
      if (h.roles[i] == role) {
        System.arraycopy(h.roles, i + 1, h.roles, i, h.count - i - 1);
        h.roles[--h.count] = null;
        return;
      }
    }
  }

  /** True if the calling thread holds any delivery role. */
  public static boolean holdsAny() {
    return HELD.get().count > 0;
  }

  /**
   * Gives up every role the calling thread holds, innermost first: call before blocking. Cheap when
   * the thread holds none (the usual case for an application thread).
   */
  public static void relinquishAll() {
    Held h = HELD.get();
    while (h.count > 0) {
      Role r = h.roles[--h.count];
      h.roles[h.count] = null;
      r.relinquish();
    }
  }
}
