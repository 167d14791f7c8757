package dev.spoke.internal;

import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires call deadlines. One daemon thread for the whole process, built so that the common case — a
 * call that finishes long before its deadline — costs one lock-free enqueue and no system call.
 *
 * <p>Scheduling appends to an inbox; the timer thread moves the inbox into a private heap whenever it
 * wakes, drops cancelled entries, and sleeps until the earliest live deadline, or at most {@link
 * #HOUSEKEEPING_NANOS} while entries are waiting so cancelled ones are released. A scheduler unparks
 * the thread only when its deadline is earlier than the one the thread sleeps towards: the thread
 * publishes that time before it re-drains the inbox, and a scheduler enqueues before it reads the time,
 * so either the thread sees the new entry or the scheduler sees a later wake time and wakes it.
 *
 * <p>Expiry callbacks run on the timer thread and must only hand work off; they must never block.
 *
 * <p>Thread-safe.
 */
public final class DeadlineTimer {

  private static final Logger log = LoggerFactory.getLogger(DeadlineTimer.class);

  /** The longest the timer sleeps while the inbox holds entries. */
  static final long HOUSEKEEPING_NANOS = 100_000_000L;

  private static final DeadlineTimer SHARED = new DeadlineTimer("spoke-deadline-timer");

  /** An entry; subclass to say what happens on expiry. */
  public abstract static class Task {
    private long deadlineNanos;
    private volatile boolean cancelled;

    /** Runs on the timer thread when the deadline passes, unless cancelled first. Must not block. */
    protected abstract void expire();

    /** Stops the task from firing. Idempotent; safe from any thread. */
    public final void cancel() {
      cancelled = true;
    }

    /** True once the task was cancelled or fired. */
    public final boolean isCancelled() {
      return cancelled;
    }
  }

  private final ConcurrentLinkedQueue<Task> inbox = new ConcurrentLinkedQueue<>();
  private final PriorityQueue<Task> heap =
      new PriorityQueue<>((a, b) -> Long.signum(a.deadlineNanos - b.deadlineNanos));
  private final Thread thread;
  private volatile long plannedWake = Long.MAX_VALUE;
  /** Heap size above which cancelled entries that are not at the head get purged (timer thread only). */
  private int purgeThreshold = 1024;

  private DeadlineTimer(String name) {
    // In the JVM's root thread group, not in the group of whichever thread first made a call: a runner
    // such as mvn exec:java waits for (and tries to interrupt) every thread of the application's group
    // when its main returns, and this thread is the process's, for as long as it runs.
    thread = new Thread(rootThreadGroup(), this::loop, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static ThreadGroup rootThreadGroup() {
    ThreadGroup group = Thread.currentThread().getThreadGroup();
    while (group.getParent() != null) {
      group = group.getParent();
    }
    return group;
  }

  /** The process-wide timer. */
  public static DeadlineTimer shared() {
    return SHARED;
  }

  /** Fires {@code task} at {@code deadlineNanos} (a {@link System#nanoTime()} value). */
  public void schedule(Task task, long deadlineNanos) {
    task.deadlineNanos = deadlineNanos;
    inbox.add(task);
    // NOTE: the entry is published before plannedWake is read; the timer writes plannedWake before it
    // re-drains the inbox (see the class comment).
    if (deadlineNanos - plannedWake < 0) {
      LockSupport.unpark(thread);
    }
  }

  private void loop() {
    for (;;) {
      try {
        tick();
      } catch (Throwable t) {
        log.error("deadline timer tick failed; continuing", t);
      }
    }
  }

  private void tick() {
    drainInbox();
    if (heap.size() > purgeThreshold) {
      // Entries of long deadlines whose calls ended early would otherwise wait for their deadline.
      heap.removeIf(Task::isCancelled);
      purgeThreshold = Math.max(1024, heap.size() * 2);
    }
    long now = System.nanoTime();
    Task head;
    while ((head = heap.peek()) != null && (head.cancelled || head.deadlineNanos - now <= 0)) {
      heap.poll();
      if (!head.cancelled) {
        head.cancel();
        try {
          head.expire();
        } catch (Throwable t) {
          log.error("deadline expiry of {} threw", head, t);
        }
      }
    }
    long wake = computeWake(now);
    for (;;) {
      plannedWake = wake;
      if (!drainInbox()) {
        break;
      }
      long again = computeWake(System.nanoTime());
      if (again - wake >= 0) {
        break;
      }
      wake = again;
    }
    if (wake == Long.MAX_VALUE) {
      LockSupport.park(this);
    } else {
      long sleep = wake - System.nanoTime();
      if (sleep > 0) {
        LockSupport.parkNanos(this, sleep);
      }
    }
    plannedWake = System.nanoTime(); // awake: schedulers need not wake us
  }

  private long computeWake(long now) {
    Task head;
    while ((head = heap.peek()) != null && head.cancelled) {
      heap.poll();
    }
    if (head == null) {
      return inbox.isEmpty() ? Long.MAX_VALUE : now + HOUSEKEEPING_NANOS;
    }
    long housekeeping = now + HOUSEKEEPING_NANOS;
    return head.deadlineNanos - housekeeping < 0 ? head.deadlineNanos : housekeeping;
  }

  /** Moves live inbox entries to the heap; returns whether any live entry came. */
  private boolean drainInbox() {
    boolean any = false;
    Task t;
    while ((t = inbox.poll()) != null) {
      if (!t.cancelled) {
        heap.add(t);
        any = true;
      }
    }
    return any;
  }
}
