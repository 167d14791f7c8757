package dev.spoke.internal;

import dev.spoke.CallOptions;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import dev.spoke.transport.Transport;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An executor with no thread: tasks queue until the one thread that owns it drains them in {@link
 * #waitAndDrain}. Blocking calls use one so that their response is parsed and delivered on the caller's
 * own thread, with no hand-off through a pool. Each thread has one, reused by its blocking calls one
 * after the other ({@link #current()}); a task arriving late for an earlier call just runs during the
 * next wait, where it finds its call already ended.
 *
 * <p>The waiting thread spins for a short window before it parks, because on the target machines a
 * parked wake-up costs ~50 µs while a response often arrives within a few µs. It announces parking and
 * re-checks the queue before parking; {@link #execute} enqueues and then unparks only if the owner
 * announced parking, so a wake-up is never lost and never paid for when nobody sleeps. While it spins,
 * the owner may also poll the transport for its response itself ({@link #receiveWith}): then the
 * response reaches it without crossing any thread.
 *
 * <p>{@link #execute} is thread-safe; the rest belongs to the owner thread.
 */
public final class ThreadlessExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(ThreadlessExecutor.class);
  private static final ThreadLocal<ThreadlessExecutor> CURRENT = ThreadLocal.withInitial(ThreadlessExecutor::new);

  /** The longest the owner spins before it parks. */
  private static final long MAX_SPIN_NANOS = 50_000;
  /** How long the owner sleeps between polls when it must keep delivering frames itself. */
  private static final long POLL_SLICE_NANOS = 50_000;

  private final TaskQueue queue = new TaskQueue();
  private final Thread owner = Thread.currentThread();
  private volatile boolean parked;
  private IntSupplier receiver;
  /** The receiver said this thread must keep delivering (it is its transport's consumer). */
  private boolean mustKeepPolling;
  private CallOptions lastBase;
  private CallOptions lastDerived;

  private ThreadlessExecutor() {}

  /** The calling thread's executor. */
  public static ThreadlessExecutor current() {
    return CURRENT.get();
  }

  /**
   * {@code base} with this executor: derived once and reused while the caller keeps passing the same
   * options object, as stubs do, so a blocking call allocates no options.
   */
  public CallOptions options(CallOptions base) {
    if (base != lastBase) {
      lastDerived = base.withExecutor(this);
      lastBase = base;
    }
    return lastDerived;
  }

  /** While spinning, the owner calls {@code receiver} to deliver inbound frames itself. */
  public void receiveWith(IntSupplier inboundReceiver) {
    this.receiver = inboundReceiver;
    this.mustKeepPolling = false;
  }

  @Override
  public void execute(Runnable task) {
    queue.offer(task);
    // NOTE: the task is published before parked is read; the owner writes parked before re-reading the
    // queue.
    if (parked) {
      LockSupport.unpark(owner);
    }
  }

  /**
   * Waits until at least one task is queued or {@code deadlineNanos} (a {@link System#nanoTime()}
   * value) passes, then runs every queued task.
   *
   * @return false if the deadline passed with nothing to run
   * @throws InterruptedException if the owner was interrupted while parked
   */
  public boolean waitAndDrain(long deadlineNanos) throws InterruptedException {
    Runnable task = queue.poll();
    if (task == null) {
      task = spin(deadlineNanos);
    }
    if (task == null) {
      task = park(deadlineNanos);
      if (task == null) {
        return false;
      }
    }
    do {
      try {
        task.run();
      } catch (Throwable t) {
        log.error("call callback {} threw", task, t);
      }
    } while ((task = queue.poll()) != null);
    return true;
  }

  private Runnable spin(long deadlineNanos) {
    long start = System.nanoTime();
    IntSupplier r = receiver;
    for (int i = 0; ; i++) {
      Runnable task = queue.poll();
      if (task != null) {
        return task;
      }
      if (r != null) {
        int delivered = r.getAsInt();
        if (delivered > 0) {
          continue; // perhaps our own response: look at the queue again
        }
        mustKeepPolling = delivered == Transport.RECEIVE_KEEP_POLLING;
      }
      if ((i & 31) == 0) {
        long now = System.nanoTime();
        if (now - start > MAX_SPIN_NANOS || now - deadlineNanos >= 0) {
          return null;
        }
      }
      Thread.onSpinWait();
    }
  }

  private Runnable park(long deadlineNanos) throws InterruptedException {
    parked = true;
    try {
      for (;;) {
        Runnable task = queue.poll();
        if (task != null) {
          return task;
        }
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          return null;
        }
        if (mustKeepPolling) {
          // Nobody else delivers this thread's response: sleep in short slices and look for it.
          LockSupport.parkNanos(this, Math.min(remaining, POLL_SLICE_NANOS));
          receiver.getAsInt();
          continue;
        }
        LockSupport.parkNanos(this, remaining);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      parked = false;
    }
  }
}
