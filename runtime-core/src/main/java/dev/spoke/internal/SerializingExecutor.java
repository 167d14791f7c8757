package dev.spoke.internal;

import dev.spoke.DirectExecutor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks given to it one at a time, in order, on an underlying executor: each call's callbacks
 * go through one, so a call's events are never concurrent or reordered while different calls run in
 * parallel. At most one task of this executor is ever queued on the underlying one.
 *
 * <p>The queue is a {@link TaskQueue}: one node per task, nothing else. Over {@link
 * DirectExecutor#INSTANCE}, and over an {@link InlineExecutor} when the submitting thread delivers
 * frames, a task that finds the executor idle runs at once on the caller's thread without being queued
 * at all: the common case of a call's first event. A task that a
 * running task schedules (a handler completing inside its callback schedules onComplete) waits in a
 * field of its own, not in the queue, and runs right after the task that scheduled it.
 *
 * <p><b>Refusal.</b> An application's executor may refuse a run (a bounded queue full, an executor
 * shut down). Built with a {@link Refusal}, this executor then loses nothing: it tells the refusal
 * handler (a call ends itself, which queues its last events here), then runs every queued task on the
 * fallback executor, or, should that refuse too, on the submitting thread — which may be a transport's
 * receive thread (then watched as inline application code is) or a timer's, as with a direct executor.
 * Without one, the refusal is thrown to the submitter and the tasks stay queued for the next run.
 *
 * <p>Thread-safe; {@link #execute} may be called from any thread, including from inside a task.
 */
public final class SerializingExecutor implements Executor, Runnable {

  private static final Logger log = LoggerFactory.getLogger(SerializingExecutor.class);
  private static final VarHandle RUNNING;
  private static final VarHandle QUEUE;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      RUNNING = l.findVarHandle(SerializingExecutor.class, "running", boolean.class);
      QUEUE = l.findVarHandle(SerializingExecutor.class, "queue", TaskQueue.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What the owner of a {@link SerializingExecutor} does when the executor under it refuses a run. */
  public interface Refusal {
    /**
     * The executor refused with {@code e} (what its {@code execute} threw). Called on the submitting
     * thread, before the queued tasks run elsewhere; tasks submitted from here run in that same run,
     * after those queued before. Must not block.
     */
    void refused(RuntimeException e);
  }

  private final Executor delegate;
  /** Runs the tasks when the delegate refuses; null: the refusal is thrown to the submitter. */
  private final Executor fallback;
  private final Refusal refusal;
  private final boolean direct;
  /** Over an {@link InlineExecutor}: direct when submitted by a delivering thread. */
  private final boolean inline;
  /** Made on the first task that has to wait: over a direct executor most calls never need one. */
  private volatile TaskQueue queue;
  /** The thread running tasks now, or null; only it reads or writes {@link #next}. */
  private volatile Thread runner;
  /** A task scheduled by the running task itself, to run right after it (the runner only). */
  private Runnable next;
  /** True while a run is scheduled or running: the runner is the queue's one consumer. */
  @SuppressWarnings("unused") // accessed through RUNNING as well
  private volatile boolean running;

  /** Runs tasks one at a time, in order, on {@code delegate}. */
  public SerializingExecutor(Executor delegate) {
    this(delegate, null, null);
  }

  /**
   * Runs tasks one at a time, in order, on {@code delegate}; if it refuses a run, tells {@code refusal}
   * and runs the queued tasks on {@code fallback} (see the class comment).
   */
  public SerializingExecutor(Executor delegate, Executor fallback, Refusal refusal) {
    if ((fallback == null) != (refusal == null)) {
      throw new IllegalArgumentException("a fallback executor and a refusal handler go together");
    }
    this.delegate = delegate;
    this.fallback = fallback;
    this.refusal = refusal;
    this.direct = delegate == DirectExecutor.INSTANCE;
    this.inline = delegate instanceof InlineExecutor;
  }

  @Override
  public void execute(Runnable task) {
    if (runner == Thread.currentThread() && next == null && (queue == null || queue.isEmpty())) {
      // Scheduled by the running task, with nothing queued before it: runs as soon as that returns.
      // (With tasks queued, it queues too, or it would overtake them.)
      next = task;
      return;
    }
    boolean directNow = direct || (inline && InboundDelivery.holdsAny());
    if (directNow && !running && RUNNING.compareAndSet(this, false, true)) {
      // Idle: run it now on this thread, then whatever others queued meanwhile. Unless tasks are still
      // queued (the last runner let go just as they came): this thread may have queued some of them
      // itself, so it must not overtake them.
      runner = Thread.currentThread();
      TaskQueue q = queue;
      boolean behind = q != null && !q.isEmpty();
      if (behind) {
        q.offer(task);
      }
      // NOTE: the task's place is taken before the thread enters application code. On a delivering
      // thread that code may have the thread's roles taken over by the transport's watchdog, and the
      // next delivering thread then queues the tasks of the frames after this one: had this task been
      // placed after that moment, it would run behind them (a stream's messages reordered, or its last
      // message behind its close and dropped).
      boolean entered = InboundDelivery.enterApplicationCode();
      try {
        if (!behind) {
          runSafely(task);
        }
        drain();
      } finally {
        InboundDelivery.leaveApplicationCode(entered);
      }
      return;
    }
    queue().offer(task);
    if (!running && RUNNING.compareAndSet(this, false, true)) {
      if (directNow) {
        boolean entered = InboundDelivery.enterApplicationCode();
        try {
          drain();
        } finally {
          InboundDelivery.leaveApplicationCode(entered);
        }
        return;
      }
      try {
        delegate.execute(this);
      } catch (RuntimeException e) {
        // NOTE: an executor that throws RejectedExecutionException did not take the task: that is
        // Executor's contract, which LaneExecutor keeps too (a run refused here and run again later would
        // run twice at once). An Error may come after the task was queued, so it is not taken as a refusal.
        if (refusal == null) {
          running = false;
          throw e;
        }
        refused(e);
      }
    }
  }

  /**
   * The delegate refused to run the queued tasks. This executor stays marked running, so that what
   * the refusal handler submits queues behind them; then they all run on the fallback, or here.
   */
  private void refused(RuntimeException e) {
    try {
      refusal.refused(e);
    } catch (RuntimeException | Error t) {
      log.error("the refusal handler of a call's executor threw", t);
    }
    try {
      fallback.execute(this);
      return;
    } catch (RuntimeException again) {
      log.debug("the fallback executor refused too ({}); running a call's events on the submitting thread",
          again.toString());
    }
    InboundDelivery.runAsApplicationCode(this::drain);
  }

  private TaskQueue queue() {
    TaskQueue q = queue;
    return q != null ? q : TaskQueue.inField(QUEUE, this);
  }

  @Override
  public void run() {
    drain();
  }

  /** Runs queued tasks until none is left, then goes idle (re-checking for a late arrival). */
  private void drain() {
    runner = Thread.currentThread();
    for (;;) {
      Runnable task;
      runScheduledByItself();
      TaskQueue q = queue;
      while (q != null && (task = q.poll()) != null) {
        runSafely(task);
        runScheduledByItself();
      }
      runner = null;
      running = false;
      // A task queued after our last poll but before the flag dropped saw `running` and did not
      // schedule us: take it now.
      q = queue;
      if (q == null || q.isEmpty() || !RUNNING.compareAndSet(this, false, true)) {
        return;
      }
      runner = Thread.currentThread();
    }
  }

  private void runScheduledByItself() {
    Runnable task;
    while ((task = next) != null) {
      next = null;
      runSafely(task);
    }
  }

  private static void runSafely(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      log.error("call callback {} threw", task, t);
    }
  }
}
