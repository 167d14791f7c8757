package dev.spoke.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default executor for handlers and client callbacks: a pool that hands each task straight to an
 * idle worker, starts a new worker when none is idle (up to a number of eager threads, by default twice
 * the processors), queues the task beyond that, and lets idle workers spin briefly before they park (by
 * default not where the JVM may use one processor only: see {@link Processors}).
 *
 * <p>Growth beyond the eager threads: a watchdog thread looks at the queue while it is not empty, and
 * when no worker has finished a task for a stall interval and fewer workers are running than there are
 * processors (the others are blocked: a handler waiting for another call, a sleep) it starts one more
 * worker, up to the maximum. Workers busy computing do not make it grow: more threads would not help. So a burst of short tasks —
 * a plugin flooding the host with 20,000 calls — runs on a few threads instead of hundreds that would
 * only take turns on the cores, while blocking handlers still never wait for each other for long.
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
  private final int eagerThreads;
  private final long stallNanos;

  private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
  private final ConcurrentLinkedQueue<Runnable> backlog = new ConcurrentLinkedQueue<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final AtomicInteger spinners = new AtomicInteger();
  private final AtomicInteger nextId = new AtomicInteger();
  /** Tasks finished; the watchdog's measure of progress. */
  private final AtomicLong finished = new AtomicLong();
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final int processors = Runtime.getRuntime().availableProcessors();
  private volatile boolean shutdown;
  private volatile Thread watchdog;
  private volatile boolean watchdogParked;

  private WorkerPool(Builder b) {
    this.name = b.name;
    this.coreThreads = b.coreThreads;
    this.maxThreads = b.maxThreads;
    this.keepAliveNanos = b.keepAliveNanos;
    this.maxSpinNanos = b.maxSpinNanos;
    this.maxSpinners = b.maxSpinners;
    this.eagerThreads = Math.min(b.maxThreads, b.eagerThreads);
    this.stallNanos = b.stallNanos;
  }

  /** A builder of a pool whose threads are named after {@code name}. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      throw new RejectedExecutionException("worker pool '" + name + "' is shut down");
    }
    if (handToIdleWorker(task) || (threads.get() < eagerThreads && startWorker(task, eagerThreads))) {
      return;
    }
    // Every worker is busy: queue the task. A worker about to go idle re-checks the backlog after it
    // publishes itself as idle; we re-check for idle workers after we publish the task; so at least one
    // of us sees the other. The watchdog adds a worker if they are all stuck.
    backlog.add(task);
    if (shutdown && backlog.remove(task)) {
      // Shut down meanwhile, and no worker took it: the workers may all have made their last look at
      // the backlog already, so it is refused rather than left there for nobody.
      throw new RejectedExecutionException("worker pool '" + name + "' is shut down");
    }
    handToIdleWorker(this::drainBacklog);
    wakeWatchdog();
  }

  private void wakeWatchdog() {
    Thread w = watchdog;
    if (w == null) {
      synchronized (this) {
        w = watchdog;
        if (w == null) {
          w = new Thread(this::watch, name + "-watchdog");
          w.setDaemon(true);
          watchdog = w;
          w.start();
          return;
        }
      }
    }
    // NOTE: the task was queued before watchdogParked is read; the watchdog writes it before it
    // re-checks the queue.
    if (watchdogParked) {
      LockSupport.unpark(w);
    }
  }

  /** While tasks wait, starts a worker whenever a stall interval passes with no task finished. */
  private void watch() {
    while (!shutdown) {
      if (backlog.isEmpty()) {
        watchdogParked = true;
        if (backlog.isEmpty() && !shutdown) {
          LockSupport.park(this);
        }
        watchdogParked = false;
        continue;
      }
      long before = finished.get();
      // NOTE: a park can end early (an unpark meant for the idle wait above, or none at all): wait out
      // the whole interval, or a burst of short tasks would grow the pool on a moment's silence.
      long until = System.nanoTime() + stallNanos;
      for (long left = stallNanos; left > 0 && !shutdown; left = until - System.nanoTime()) {
        LockSupport.parkNanos(this, left);
      }
      if (!backlog.isEmpty() && finished.get() == before && runningWorkers() < processors
          && startWorker(null, maxThreads)) {
        log.debug("worker pool '{}': every worker is busy and none finished a task in {} µs; now {} workers", name,
            stallNanos / 1000, threads.get());
      }
    }
    // Tasks accepted before the shutdown still run (see shutdown()): one last worker for any the
    // watchdog was waiting on, in case every worker has gone.
    if (!backlog.isEmpty()) {
      startWorker(null, Integer.MAX_VALUE);
    }
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

  /** Workers whose thread is running (or ready to run) rather than blocked or waiting. */
  private int runningWorkers() {
    int n = 0;
    for (Worker w : workers) {
      if (w.thread.getState() == Thread.State.RUNNABLE) {
        n++;
      }
    }
    return n;
  }

  private boolean startWorker(Runnable firstTask, int limit) {
    for (;;) {
      int n = threads.get();
      if (n >= limit) {
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
    workers.add(w);
    t.start();
    return true;
  }

  private void drainBacklog() {
    Runnable r;
    while ((r = backlog.poll()) != null) {
      runSafely(r);
      finished.incrementAndGet();
    }
  }

  /** Threads currently alive in the pool. */
  public int threadCount() {
    return threads.get();
  }

  /**
   * Stops taking tasks ({@link #execute} then throws {@link RejectedExecutionException}); tasks already
   * accepted still run, then the workers exit.
   */
  public void shutdown() {
    shutdown = true;
    Thread dog = watchdog;
    if (dog != null) {
      LockSupport.unpark(dog);
    }
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
            finished.incrementAndGet();
          }
          t = backlog.poll();
          if (t != null) {
            continue;
          }
          // NOTE: a task accepted just before the shutdown may land after the look above: a worker that
          // leaves looks once more after it saw the shutdown (execute() refuses a task it finds it
          // queued after the shutdown, so one of the two sees it).
          if (shutdown || (t = awaitTask()) == null) {
            t = backlog.poll();
            if (t == null) {
              return;
            }
          }
        }
      } finally {
        workers.remove(this);
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
    private long maxSpinNanos = Processors.WAIT_SPIN_NANOS;
    private int maxSpinners = 1;
    private int eagerThreads = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    private long stallNanos = TimeUnit.MILLISECONDS.toNanos(2);

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

    /**
     * The longest an idle worker spins before it parks; 0 disables spinning. Default 50 µs, and 0 where
     * the JVM may use one processor only (see {@link Processors}).
     */
    public Builder maxSpin(long time, TimeUnit unit) {
      this.maxSpinNanos = unit.toNanos(time);
      return this;
    }

    /**
     * Up to this many workers, a task that finds none idle starts a new one at once; beyond it, tasks
     * queue and the pool grows only while its workers are stuck. Default twice the processors, at least 4.
     */
    public Builder eagerThreads(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("eagerThreads must be at least 1, got " + n);
      }
      this.eagerThreads = n;
      return this;
    }

    /**
     * How long queued tasks may see no worker finish anything before the pool adds a worker. Default 2 ms.
     */
    public Builder stallInterval(long time, TimeUnit unit) {
      this.stallNanos = Math.max(1, unit.toNanos(time));
      return this;
    }

    /** How many idle workers may spin at once. Default 1. */
    public Builder maxSpinners(int n) {
      this.maxSpinners = n;
      return this;
    }

    /** The pool, with no threads started yet. */
    public WorkerPool build() {
      return new WorkerPool(this);
    }
  }
}
