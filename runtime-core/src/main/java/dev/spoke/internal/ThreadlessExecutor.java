package dev.spoke.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An executor with no thread of its own, for one blocking call: its tasks queue until the thread that
 * made the call drains them in {@link #waitAndDrain}, so the response is parsed and delivered on the
 * caller's own thread with no hand-off through a pool.
 *
 * <p>One per call, never reused: a task that arrives for a call that has ended (after {@link
 * #shutdown}) is dropped, so no later call can ever run an earlier call's events.
 *
 * <p>The waiting thread spins for a short window before it parks, because on the target machines a
 * parked wake-up costs ~50 µs while a response often arrives within a few µs. It announces parking and
 * re-checks the queue before parking; {@link #execute} enqueues and then unparks only if the owner
 * announced parking, so a wake-up is never lost and never paid for when nobody sleeps. While it spins,
 * the owner may also poll the transport for its response itself ({@link #receiveWith}): then the
 * response reaches it without crossing any thread. Before it waits at all, the owner gives up any
 * delivery role it holds ({@link InboundDelivery#relinquishAll}), so that a handler running on a
 * receive thread that makes a blocking call never stalls the frames of others.
 *
 * <p>Most calls get one task in all (the call's events, run together), so the first task waits in a
 * field of its own and a {@link TaskQueue} is made only for a second: a blocking unary call allocates
 * no queue and no node.
 *
 * <p>{@link #execute} is thread-safe; the rest belongs to the owner thread, which asserts it.
 */
public final class ThreadlessExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(ThreadlessExecutor.class);
  private static final VarHandle FIRST;
  private static final VarHandle QUEUE;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      FIRST = l.findVarHandle(ThreadlessExecutor.class, "first", Runnable.class);
      QUEUE = l.findVarHandle(ThreadlessExecutor.class, "queue", TaskQueue.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** What {@link #first} holds once the owner took the first task: it never holds a task again. */
  private static final Runnable TAKEN = () -> { };

  /**
   * Null until a task comes, then the first task ever, then {@link #TAKEN}. Set from null only once,
   * by CAS, so every other task sees it set and goes to {@link #queue}: the queue holds only tasks that
   * came after this one, and FIFO order holds across the two.
   */
  private volatile Runnable first;
  /** Made by the first task that finds {@link #first} set. */
  private volatile TaskQueue queue;
  private final Thread owner = Thread.currentThread();
  private volatile boolean parked;
  private volatile boolean shutdown;
  private IntSupplier receiver;
  private Runnable receiverEnd;
  private Runnable receiverParks;
  private Predicate<Throwable> faultExplained;
  /** How long the owner spins before it parks: {@link Processors#WAIT_SPIN_NANOS}, or 0 after {@link #parkWithoutSpinning}. */
  private long maxSpinNanos = Processors.WAIT_SPIN_NANOS;

  /** An executor owned by the calling thread, for one call. */
  public ThreadlessExecutor() {}

  /** The thread that owns this executor (the one that made the call). */
  public Thread owner() {
    return owner;
  }

  /** While spinning, the owner calls {@code inboundReceiver} to deliver inbound frames itself. */
  public void receiveWith(IntSupplier inboundReceiver) {
    receiveWith(inboundReceiver, null, null, null);
  }

  /**
   * As {@link #receiveWith(IntSupplier)}, for a receiver that may keep what it needs to deliver (a
   * transport's delivery role) from one look to the next: {@code receiverEnd} runs whenever the owner
   * stops spinning, on every path, to give it back. And for a receiver that reads mapped memory which
   * another process can take away: a fault in it may reach the owner late, wherever it waits next (see
   * {@link #waitAndDrain}). {@code faultExplained} tells whether such an error is the transport's (which
   * it has then closed, so the call's close is queued here) rather than a bug to rethrow. {@code
   * receiverParks} runs when the owner, having found nothing in its time to spin, parks until a task is
   * handed to it (after {@code receiverEnd}): a receiver that stood back while the owner looked may take
   * over. Any may be null.
   */
  public void receiveWith(IntSupplier inboundReceiver, Runnable receiverEnd, Runnable receiverParks,
      Predicate<Throwable> faultExplained) {
    this.receiver = inboundReceiver;
    this.receiverEnd = receiverEnd;
    this.receiverParks = receiverParks;
    this.faultExplained = faultExplained;
  }

  /**
   * The owner parks at once rather than spinning first: for a call over a network transport, whose
   * response cannot come within the spin window, so that spinning would only take a CPU from the
   * threads that carry it. The owner only.
   */
  public void parkWithoutSpinning() {
    assert Thread.currentThread() == owner : "parkWithoutSpinning on " + Thread.currentThread() + ", owned by " + owner;
    maxSpinNanos = 0;
  }

  /**
   * A task that must hear when it will never run: it holds something to give back (a message still in
   * a transport's buffer).
   */
  public interface Droppable extends Runnable {
    /** This task will never run. */
    void dropped();
  }

  @Override
  public void execute(Runnable task) {
    if (shutdown) {
      dropped(task); // the call is over: its late events have nobody to go to
      return;
    }
    if (first != null || !FIRST.compareAndSet(this, null, task)) {
      queue().offer(task);
    }
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
   * @throws InterruptedException if the owner was interrupted while parked (the flag is cleared)
   */
  public boolean waitAndDrain(long deadlineNanos) throws InterruptedException {
    assert Thread.currentThread() == owner : "waitAndDrain on " + Thread.currentThread() + ", owned by " + owner;
    if (shutdown) {
      dropQueued(); // a task that raced shutdown into the queue belongs to the ended call
      return false;
    }
    Runnable task = poll();
    if (task == null) {
      InboundDelivery.relinquishAll();
      task = await(deadlineNanos);
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
    } while ((task = poll()) != null);
    return true;
  }

  /**
   * The call has ended: tasks still queued and any that arrive later are dropped. The owner only; the
   * executor is not used again.
   */
  public void shutdown() {
    assert Thread.currentThread() == owner : "shutdown on " + Thread.currentThread() + ", owned by " + owner;
    shutdown = true;
    // NOTE: a task offered before the flag was seen is drained here; one offered after is dropped by
    // execute; one whose execute read the flag before it was set but offered after this drain is
    // dropped by the next waitAndDrain. Nothing of this call ever runs after it.
    dropQueued();
  }

  private void dropQueued() {
    for (Runnable task; (task = poll()) != null; ) {
      dropped(task);
    }
  }

  private static void dropped(Runnable task) {
    if (task instanceof Droppable) {
      ((Droppable) task).dropped();
    }
  }

  private TaskQueue queue() {
    TaskQueue q = queue;
    return q != null ? q : TaskQueue.inField(QUEUE, this);
  }

  /** The owner: the next task, or null if none is queued. */
  private Runnable poll() {
    Runnable f = first;
    if (f == null) {
      // NOTE: a task goes to the queue only after its producer saw first set, so with first still
      // null (a volatile read) nothing can be queued yet.
      return null;
    }
    if (f != TAKEN) {
      // Plain: producers only ever compare first with null, and only the owner writes it once set.
      FIRST.set(this, TAKEN);
      return f;
    }
    TaskQueue q = queue;
    return q == null ? null : q.poll();
  }

  /** Spins, then parks, until a task is queued or the deadline passes (null). */
  private Runnable await(long deadlineNanos) throws InterruptedException {
    for (int faults = 0; ; faults++) {
      try {
        Runnable task = spin(deadlineNanos);
        if (task != null) {
          return task;
        }
        Runnable parks = receiverParks;
        if (parks != null && receiver != null) {
          parks.run();
        }
        return park(deadlineNanos);
      } catch (InternalError e) {
        // NOTE: HotSpot raises a fault met by an access to mapped memory in compiled code only at the
        // thread's next transition into the VM, which may be here, long after the receive (or the send)
        // that met it returned. If the transport explains it, it has closed itself and the call with
        // it: wait on for the call's close. Bounded, as each fault needs an access of its own.
        if (faults >= 3 || !explains(e)) {
          throw e;
        }
      }
    }
  }

  /**
   * True if {@code e}, met by the owner while it worked for this call (sending or waiting), is a fault
   * in its transport's memory that the transport explains: the transport has then closed, and the call
   * with it, so the call's close is or will be queued here. The owner only.
   */
  public boolean isTransportFault(Throwable e) {
    return e instanceof InternalError && explains((InternalError) e);
  }

  private boolean explains(InternalError e) {
    // The transport looks past the same fault raised again while it looks (Transport#explainFault).
    Predicate<Throwable> f = faultExplained;
    return f != null && f.test(e);
  }

  private Runnable spin(long deadlineNanos) throws InterruptedException {
    IntSupplier r = receiver;
    try {
      return spin(deadlineNanos, r);
    } finally {
      Runnable end = receiverEnd;
      if (r != null && end != null) {
        end.run(); // the receiver gives back what it kept between looks
      }
    }
  }

  private Runnable spin(long deadlineNanos, IntSupplier r) throws InterruptedException {
    if (maxSpinNanos == 0) {
      return poll(); // parks at once (parkWithoutSpinning)
    }
    long start = System.nanoTime();
    for (int i = 0; ; i++) {
      Runnable task = poll();
      if (task != null) {
        return task;
      }
      if ((i & 31) == 0) {
        if (Thread.interrupted()) {
          throw new InterruptedException(); // an interrupted waiter stops at once, spinning or parked
        }
        // NOTE: not before the first looks: a thread preempted just after it read `start` would
        // otherwise park without having looked once.
        long now = System.nanoTime();
        if (i > 0 && (now - start >= maxSpinNanos || now - deadlineNanos >= 0)) {
          return null;
        }
      }
      if (r != null && r.getAsInt() > 0) {
        continue; // perhaps our own response: look at the queue again
      }
      Thread.onSpinWait();
    }
  }

  private Runnable park(long deadlineNanos) throws InterruptedException {
    parked = true;
    try {
      for (;;) {
        Runnable task = poll();
        if (task != null) {
          return task;
        }
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          return null;
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
