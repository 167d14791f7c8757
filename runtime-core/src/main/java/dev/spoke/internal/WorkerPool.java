package dev.spoke.internal;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default executor for handlers and client callbacks: a pool that hands each task straight to an
 * idle worker, starts a new worker when none is idle (up to a maximum), and lets idle workers spin
 * briefly before they park.
 *
 * <p>Why not {@code ThreadPoolExecutor}: a parked hand-off costs ~50 µs on the machines Spoke targets,
 * hundreds of times a shared-memory round trip. Here the most recently idled worker spins for a short
 * adaptive window, so a task that arrives soon after the last one is picked up without a wake-up
 * syscall; only one worker spins at a time, so idle cores are not burnt. A pool that grows on demand
 * means one blocking handler never delays another call (gRPC-java's default is unbounded for the same
 * reason).
 *
 * <p>Hand-off protocol, per worker: the worker pushes itself on the idle stack in state IDLE; a
 * submitter pops it and CASes IDLE → ASSIGNED (exclusive claim), then stores the task (volatile) and
 * unparks the worker if it announced parking. The worker announces parking (volatile) and re-checks
 * the task before it parks, so a wake-up cannot be lost (both sides write then read volatiles). A
 * worker that times out retires by CASing IDLE → RETIRED, so a claim and a retirement never both win.
 *
 * <p>Thread-safe.
 */
public final class WorkerPool implements Executor, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);

  private static final int RUNNING = 0;
  private static final int IDLE = 1;
  private static final int ASSIGNED = 2;
  private static final int RETIRED = 3;

  private final String name;
  private final int coreThreads;
  private final int maxThreads;
  private final long keepAliveNanos;
  private final long maxSpinNanos;
  private final int maxSpinners;

  private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
  private final ConcurrentLinkedQueue<Runnable> backlog = new ConcurrentLinkedQueue<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final AtomicInteger spinners = new AtomicInteger();
  private final AtomicInteger nextId = new AtomicInteger();
  private volatile boolean shutdown;

  private WorkerPool(Builder b) {
    this.name = b.name;
    this.coreThreads = b.coreThreads;
    this.maxThreads = b.maxThreads;
    this.keepAliveNanos = b.keepAliveNanos;
    this.maxSpinNanos = b.maxSpinNanos;
    this.maxSpinners = b.maxSpinners;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      throw new RejectedExecutionException("worker pool '" + name + "' is shut down");
    }
    if (handToIdleWorker(task) || startWorker(task)) {
      return;
    }
    // Every worker is busy and the pool is at its maximum: queue the task. A worker about to go idle
    // re-checks the backlog after it publishes itself as idle; we re-check for idle workers after we
    // publish the task; so at least one of us sees the other.
    backlog.add(task);
    handToIdleWorker(this::drainBacklog);
  }

  private boolean handToIdleWorker(Runnable task) {
    Worker w;
    while ((w = idle.pollFirst()) != null) {
      if (w.offer(task)) {
        return true;
      }
    }
    return false;
  }

  private boolean startWorker(Runnable firstTask) {
    for (;;) {
      int n = threads.get();
      if (n >= maxThreads) {
        return false;
      }
      if (threads.compareAndSet(n, n + 1)) {
        break;
      }
    }
    Worker w = new Worker(firstTask);
    Thread t = new Thread(w, name + "-" + nextId.incrementAndGet());
    t.setDaemon(true);
    w.thread = t;
    t.start();
    return true;
  }

  private void drainBacklog() {
    Runnable r;
    while ((r = backlog.poll()) != null) {
      runSafely(r);
    }
  }

  /** Threads currently alive in the pool. */
  public int threadCount() {
    return threads.get();
  }

  /** Stops taking tasks; idle workers exit, running tasks finish. */
  public void shutdown() {
    shutdown = true;
    Worker w;
    while ((w = idle.pollFirst()) != null) {
      w.wake();
    }
  }

  /** Waits until every worker has exited, up to {@code timeout}; returns whether they all did. */
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(timeout);
    while (threads.get() > 0) {
      if (System.nanoTime() - deadline >= 0) {
        return false;
      }
      Worker w;
      while ((w = idle.pollFirst()) != null) {
        w.wake();
      }
      Thread.sleep(1);
    }
    return true;
  }

  @Override
  public void close() {
    shutdown();
  }

  private static void noop() {}

  private static void runSafely(Runnable r) {
    try {
      r.run();
    } catch (Throwable t) {
      log.error("task {} threw; the worker carries on", r, t);
    }
  }

  @Override
  public String toString() {
    return "WorkerPool{" + name + ", threads=" + threads.get() + ", idle=" + idle.size() + "}";
  }

  private final class Worker implements Runnable {
    private final AtomicInteger state = new AtomicInteger(RUNNING);
    private volatile Runnable task;
    private volatile boolean parked;
    private Runnable firstTask;
    private long spinWindowNanos = maxSpinNanos / 2;
    Thread thread;

    Worker(Runnable firstTask) {
      this.firstTask = firstTask;
    }

    /** Claims this worker for {@code t}; false if it is no longer idle. */
    boolean offer(Runnable t) {
      if (!state.compareAndSet(IDLE, ASSIGNED)) {
        return false;
      }
      task = t;
      // NOTE: task is written before parked is read; the worker writes parked before it reads task.
      if (parked) {
        LockSupport.unpark(thread);
      }
      return true;
    }

    void wake() {
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      Runnable t = firstTask;
      firstTask = null;
      try {
        for (;;) {
          if (t != null) {
            runSafely(t);
          }
          t = backlog.poll();
          if (t != null) {
            continue;
          }
          if (shutdown) {
            return;
          }
          t = awaitTask();
          if (t == null) {
            return;
          }
        }
      } finally {
        threads.decrementAndGet();
      }
    }

    /** Goes idle and waits for a task; null when the worker retires. */
    private Runnable awaitTask() {
      task = null;
      state.set(IDLE);
      idle.offerFirst(this);
      // Re-check the backlog after publishing ourselves as idle (see execute()).
      if (!backlog.isEmpty() && state.compareAndSet(IDLE, RUNNING)) {
        idle.removeFirstOccurrence(this);
        Runnable queued = backlog.poll();
        return queued != null ? queued : WorkerPool::noop;
      }
      Runnable t = spin();
      if (t != null) {
        return t;
      }
      return park();
    }

    private Runnable spin() {
      if (spinWindowNanos <= 0 || spinners.incrementAndGet() > maxSpinners) {
        spinners.decrementAndGet();
        return null;
      }
      try {
        long start = System.nanoTime();
        long window = spinWindowNanos;
        for (int i = 0; ; i++) {
          Runnable t = task;
          if (t != null) {
            // Spinning paid off: allow a longer window next time.
            spinWindowNanos = Math.min(maxSpinNanos, window * 2);
            state.set(RUNNING);
            return t;
          }
          if ((i & 63) == 0 && System.nanoTime() - start > window) {
            // It did not: spin less next time, down to a floor that still catches back-to-back work.
            spinWindowNanos = Math.max(maxSpinNanos / 16, window / 2);
            return null;
          }
          Thread.onSpinWait();
        }
      } finally {
        spinners.decrementAndGet();
      }
    }

    private Runnable park() {
      parked = true;
      long deadline = System.nanoTime() + keepAliveNanos;
      try {
        for (;;) {
          Runnable t = task;
          if (t != null) {
            state.set(RUNNING);
            return t;
          }
          if (shutdown && state.compareAndSet(IDLE, RETIRED)) {
            idle.removeFirstOccurrence(this);
            return null;
          }
          long remaining = deadline - System.nanoTime();
          if (remaining <= 0) {
            if (threads.get() > coreThreads && state.compareAndSet(IDLE, RETIRED)) {
              idle.removeFirstOccurrence(this);
              return null;
            }
            deadline = System.nanoTime() + keepAliveNanos;
            continue;
          }
          LockSupport.parkNanos(this, remaining);
        }
      } finally {
        parked = false;
      }
    }
  }

  /** Configures a {@link WorkerPool}. */
  public static final class Builder {
    private final String name;
    private int coreThreads = 0;
    private int maxThreads = 1024;
    private long keepAliveNanos = TimeUnit.SECONDS.toNanos(30);
    private long maxSpinNanos = TimeUnit.MICROSECONDS.toNanos(50);
    private int maxSpinners = 1;

    private Builder(String name) {
      this.name = name;
    }

    /** Workers kept alive while idle. Default 0. */
    public Builder coreThreads(int n) {
      this.coreThreads = n;
      return this;
    }

    /** The most workers; beyond it tasks queue. Default 1024. */
    public Builder maxThreads(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxThreads must be at least 1, got " + n);
      }
      this.maxThreads = n;
      return this;
    }

    /** How long an idle worker above the core count lives. Default 30 s. */
    public Builder keepAlive(long time, TimeUnit unit) {
      this.keepAliveNanos = unit.toNanos(time);
      return this;
    }

    /** The longest an idle worker spins before it parks; 0 disables spinning. Default 50 µs. */
    public Builder maxSpin(long time, TimeUnit unit) {
      this.maxSpinNanos = unit.toNanos(time);
      return this;
    }

    /** How many idle workers may spin at once. Default 1. */
    public Builder maxSpinners(int n) {
      this.maxSpinners = n;
      return this;
    }

    public WorkerPool build() {
      return new WorkerPool(this);
    }
  }
}
