package dev.spoke.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * What a thread holds while it delivers a transport's inbound frames — a ring's consumer role, a
 * receive loop's leadership — so that it can give all of it up before it blocks, and so that another
 * thread can take it over when application code it runs inline takes too long.
 *
 * <p><b>Giving up before blocking.</b> A handler run inline on the thread that delivered its frame (a
 * direct executor, or the default {@link InlineExecutor}) may make a blocking call. Were the thread to
 * park still holding its roles, nobody would deliver the response it waits for, nor anybody else's
 * frames. So every wait of the call layer that may park ({@link ThreadlessExecutor}) first calls {@link
 * #relinquishAll()}: each role is handed on, and the thread waits as an ordinary caller.
 *
 * <p><b>Taken over when stuck.</b> Application code can also block or run long outside Spoke's calls
 * (a sleep, I/O, a lock, a computation). While a delivering thread runs application code it says so
 * ({@link #enterApplicationCode}); a watchdog of its transport ({@link Delivering#tryTakeOver}) may then
 * take its roles over once it has been there too long. The take-over and the thread's own return from
 * application code race on one CAS of its {@link Delivering} state, so exactly one of them wins: either
 * the thread comes back still holding its roles, or it finds them taken ({@link #takenOver()}) and
 * stops delivering at once, touching nothing of its transports again.
 *
 * <p>Roles are registered in nesting order and given up innermost first. The registry is per thread;
 * only a thread's {@link Delivering} state is read by others.
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

  /**
   * A delivering thread's state as others see it: whether, and since when, it runs application code.
   * Thread-safe.
   */
  public static final class Delivering {
    private static final VarHandle SINCE;

    static {
      try {
        SINCE = MethodHandles.lookup().findVarHandle(Delivering.class, "applicationCodeSince", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** {@link #applicationCodeSince} once a watchdog has taken the thread's roles over. */
    private static final long TAKEN_OVER = -1;

    private final Thread thread;
    /** The {@link WatchClock} tick (never 0) when the thread entered application code; 0 while it is not in it. */
    @SuppressWarnings("unused") // through SINCE
    private volatile long applicationCodeSince;

    /** The roles were taken over while the thread ran application code: it stops delivering. Its own field. */
    private boolean takenOver;

    Delivering(Thread thread) {
      this.thread = thread;
    }

    /**
     * {@link InboundDelivery#takenOver()} for a thread that keeps its own state at hand (a receive loop
     * polling in a tight loop): a plain read of a field only that thread writes. The owner thread only.
     */
    public boolean rolesTakenOver() {
      assert Thread.currentThread() == thread : "rolesTakenOver on " + Thread.currentThread() + ", state of " + thread;
      return takenOver;
    }

    /** The thread this state belongs to. */
    public Thread thread() {
      return thread;
    }

    /**
     * For a watchdog: how long until the thread, if it stays in the application code it runs now,
     * has run it for {@code limitNanos} (0: it has); {@code limitNanos} if it runs none, or has only
     * just entered it (its time is counted from the next {@link WatchClock#tick}).
     */
    public long dueIn(long limitNanos, long now) {
      long since = applicationCodeSince;
      if (since <= 0) {
        return limitNanos;
      }
      return Math.max(0, limitNanos - WatchClock.elapsedSince(since, now));
    }

    /**
     * For a watchdog: which stay in application code the thread is in, as a value that differs between
     * two stays a watchdog could tell apart (it changes when the thread leaves and enters again after a
     * later {@link WatchClock#tick}); 0 while the thread runs none.
     */
    public long applicationCodeEntry() {
      long since = applicationCodeSince;
      return since > 0 ? since : 0;
    }

    /**
     * A watchdog: if the thread has run application code for at least {@code limitNanos} by {@code
     * now} (a {@link System#nanoTime()} value), claims its roles; true if it did. The thread then
     * touches none of them again, and the caller must take them over (or release them).
     */
    public boolean tryTakeOver(long limitNanos, long now) {
      long since = applicationCodeSince;
      return since > 0 && WatchClock.elapsedSince(since, now) >= limitNanos
          && SINCE.compareAndSet(this, since, TAKEN_OVER);
    }

    void enter() {
      // NOTE: the watch clock's tick, not System.nanoTime(): entering application code is on every
      // inline call's path, and a clock read costs more there than the watchdog needs (see WatchClock).
      applicationCodeSince = WatchClock.current();
    }

    /**
     * The thread stops being judged by how long it runs application code: it leaves it, or gives its
     * roles up voluntarily. True if it did so holding its roles; false if they were taken over first.
     */
    boolean stopWatch() {
      for (;;) {
        long since = applicationCodeSince;
        if (since == TAKEN_OVER) {
          applicationCodeSince = 0;
          return false;
        }
        if (since == 0 || SINCE.compareAndSet(this, since, 0L)) {
          return true;
        }
      }
    }
  }

  private static final ThreadLocal<Held> HELD = ThreadLocal.withInitial(Held::new);

  /**
   * A thread made to deliver (a receive loop's): it keeps its state in a field, not in a thread-local
   * map, as its every poll of a ring reads it.
   */
  private static final class DeliveryThread extends Thread {
    Held held;

    DeliveryThread(Runnable task, String name) {
      super(task, name);
    }
  }

  /**
   * A new thread for a transport's receiving, whose state here costs a field read rather than a
   * thread-local lookup. Not started.
   */
  public static Thread newDeliveryThread(Runnable task, String name) {
    return new DeliveryThread(task, name);
  }

  private static Held held() {
    Thread t = Thread.currentThread();
    if (t instanceof DeliveryThread) {
      DeliveryThread d = (DeliveryThread) t;
      Held h = d.held;
      if (h == null) {
        h = new Held();
        d.held = h; // only ever read and written by the thread itself
      }
      return h;
    }
    return HELD.get();
  }

  /** The roles one thread holds, innermost last. */
  private static final class Held {
    Role[] roles = new Role[4];
    int count;
    /** Nesting depth of application code on this thread (the state is set at 0 → 1 only). */
    int applicationDepth;
    /** The roles held were taken as a caller ({@link #enterAsCaller}); false once none is held. */
    boolean asCaller;
    final Delivering state = new Delivering(Thread.currentThread());
  }

  private InboundDelivery() {}

  /** The calling thread's state, for a transport to record whose roles it lent. */
  public static Delivering current() {
    return held().state;
  }

  /** The calling thread now holds {@code role}; pair with {@link #leave}. */
  public static void enter(Role role) {
    add(held(), role);
  }

  /**
   * As {@link #enter}, for a thread that takes {@code role} while it waits for a response of its own
   * (not a receive loop's thread, and not in application code): it gives up what it holds so before
   * it runs application code (see {@link #enterApplicationCode}).
   */
  public static void enterAsCaller(Role role) {
    Held h = held();
    add(h, role);
    h.asCaller = true;
  }

  private static void add(Held h, Role role) {
    if (h.count == h.roles.length) {
      h.roles = Arrays.copyOf(h.roles, h.count * 2);
    }
    h.roles[h.count++] = role;
  }

  /**
   * The calling thread no longer holds {@code role} (it released it normally, or it was relinquished
   * or taken over before). A no-op if the role is not registered.
   */
  public static void leave(Role role) {
    Held h = held();
    for (int i = h.count - 1; i >= 0; i--) {
      if (h.roles[i] == role) {
        System.arraycopy(h.roles, i + 1, h.roles, i, h.count - i - 1);
        h.roles[--h.count] = null;
        h.asCaller &= h.count > 0;
        return;
      }
    }
  }

  /**
   * True if the calling thread holds {@code role} as far as it knows: it took it and has neither
   * released nor relinquished it, nor had it taken over. A role that names its holder by thread must
   * ask this as well: a watchdog takes a stuck thread's roles in two steps (this thread's state, then
   * each role), and in between a role still names a thread that has already let it go.
   */
  public static boolean holds(Role role) {
    Held h = held();
    for (int i = h.count - 1; i >= 0; i--) {
      if (h.roles[i] == role) {
        return true;
      }
    }
    return false;
  }

  /** True if the calling thread holds any delivery role. */
  public static boolean holdsAny() {
    return held().count > 0;
  }

  /**
   * Gives up every role the calling thread holds, innermost first: call before blocking. Cheap when
   * the thread holds none (the usual case for an application thread).
   */
  public static void relinquishAll() {
    Held h = held();
    if (h.count > 0 && h.applicationDepth > 0 && !h.state.stopWatch()) {
      // The watchdog took the roles over a moment ago: they are not ours to hand on any more.
      forgetRoles(h);
      return;
    }
    while (h.count > 0) {
      Role r = h.roles[--h.count];
      h.roles[h.count] = null;
      r.relinquish();
    }
    h.asCaller = false;
  }

  /**
   * The calling thread is about to run application code inline. Returns true if it holds delivery
   * roles (its transport's watchdog may now take them over if the code runs too long); pass the result
   * to {@link #leaveApplicationCode}.
   *
   * <p>A thread holding roles as a caller ({@link #enterAsCaller}: a blocking caller that polls a ring
   * for its response, and delivered a frame whose code runs inline, such as another call's callback)
   * gives them up first and runs the code as an ordinary application thread: no watchdog is sure to
   * see it (a parked loop's standby sleeps too), and frames behind it must not wait for code that may
   * block.
   */
  public static boolean enterApplicationCode() {
    Held h = held();
    if (h.count == 0 && h.applicationDepth == 0) {
      return false;
    }
    if (h.applicationDepth == 0 && h.asCaller) {
      relinquishAll();
      return false;
    }
    if (h.applicationDepth++ == 0) {
      h.state.enter();
    }
    return true;
  }

  /** The application code entered with {@code entered} (the result of the enter) has returned. */
  public static void leaveApplicationCode(boolean entered) {
    if (!entered) {
      return;
    }
    Held h = held();
    if (--h.applicationDepth == 0 && !h.state.stopWatch()) {
      // Taken over while away: the roles are another thread's now. Forget them without a word to
      // them, and stop delivering.
      forgetRoles(h);
    }
  }

  private static void forgetRoles(Held h) {
    Arrays.fill(h.roles, 0, h.count, null);
    h.count = 0;
    h.asCaller = false;
    h.state.takenOver = true;
  }

  /**
   * Runs {@code task} on the calling thread as application code: watched, and its roles taken over if it
   * runs too long, when the thread delivers frames (see {@link #enterApplicationCode}). What the task
   * throws reaches the caller.
   */
  public static void runAsApplicationCode(Runnable task) {
    boolean entered = enterApplicationCode();
    try {
      task.run();
    } finally {
      leaveApplicationCode(entered);
    }
  }

  /**
   * True while the calling thread runs application code it was given as a delivering thread (even if
   * it has given its roles up since, to block). Such a thread must not take delivery roles again: a
   * watchdog judges it by how long it has been in that code, not by what it does inside.
   */
  public static boolean inApplicationCode() {
    return held().applicationDepth > 0;
  }

  /** True if the calling thread's roles were taken over while it ran application code. */
  public static boolean takenOver() {
    return held().state.takenOver;
  }

  /** The calling thread is back where it takes roles afresh (a receive loop's follower). */
  public static void clearTakenOver() {
    held().state.takenOver = false;
  }
}
