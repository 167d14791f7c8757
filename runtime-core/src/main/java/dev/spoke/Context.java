package dev.spoke;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the current thread works on behalf of, in gRPC-java's shape: values under {@link Key}s, a
 * deadline and a cancellation, passed down from a call to the work it starts.
 *
 * <p>{@link #current()} is never null: outside any call it is {@link #ROOT}, which holds no value and
 * is never cancelled. While a server handler runs, the current context is its call's {@link
 * CallContext}. Derive a context with {@link #withValue}, {@link #withCancellation} or {@link
 * #withDeadline}, and make it current for a piece of work with {@link #run}, {@link #call} or {@link
 * #wrap} (or {@link #attach} and {@link #detach} in a {@code try/finally}).
 *
 * <p>What follows a context: a call started while it is current ends with its cancellation and has at
 * most its deadline (the earlier of the call's and the context's wins), and the call's callbacks run
 * with it current, so a value set before a call is there when its response arrives. Deadlines travel
 * to the other process with the call; values do not by themselves: a value that should reach the
 * server travels as a header, put there by a {@link ClientInterceptor} and made current on the other
 * side by a {@link ServerInterceptor} ({@link ContextHeader} is that pair for one key).
 *
 * <p>Contexts are immutable, except that a cancellable one turns cancelled once. Thread-safe.
 */
public class Context {

  private static final Logger log = LoggerFactory.getLogger(Context.class);
  private static final ThreadLocal<Context> CURRENT = new ThreadLocal<>();

  /** The context with no values, no deadline and no cancellation: what is current outside any call. */
  public static final Context ROOT = new Context(null, null, null, false);

  /** Told when a context it was added to is cancelled. */
  @FunctionalInterface
  public interface CancellationListener {
    /** {@code context} was cancelled: the cancellable context the listener was added to or inherits from. */
    void cancelled(Context context);
  }

  /**
   * A key for a value in a context. Keys compare by identity: make each once, as a constant, and keep
   * it private to the code that owns the value.
   *
   * @param <T> the value type
   */
  public static final class Key<T> {
    private final String name;
    private final T defaultValue;

    private Key(String name, T defaultValue) {
      this.name = Objects.requireNonNull(name, "name");
      this.defaultValue = defaultValue;
    }

    /** The value in the current context, or the key's default. */
    public T get() {
      return get(current());
    }

    /** The value in {@code context}, or the key's default. */
    @SuppressWarnings("unchecked")
    public T get(Context context) {
      for (Context c = context; c != null; c = c.parent) {
        if (c.key == this) {
          return (T) c.value;
        }
      }
      return defaultValue;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final Context parent;
  private final Key<?> key;
  private final Object value;
  /** This context if it can be cancelled itself, else the nearest ancestor that can, or null. */
  final Context cancellable;
  /** The innermost server call this context belongs to, or null. */
  final CallContext call;

  /** A child of {@code parent} holding one value. */
  private Context(Context parent, Key<?> key, Object value, boolean cancellableItself) {
    this.parent = parent;
    this.key = key;
    this.value = value;
    this.cancellable = cancellableItself ? this : parent == null ? null : parent.cancellable;
    this.call = this instanceof CallContext ? (CallContext) this : parent == null ? null : parent.call;
  }

  /** For cancellable kinds (the framework's {@link CallContext}, {@link CancellableContext}). */
  Context(Context parent) {
    this(parent, null, null, true);
  }

  /** A new key; {@code name} is for debugging only. */
  public static <T> Key<T> key(String name) {
    return new Key<>(name, null);
  }

  /** A new key whose {@link Key#get()} returns {@code defaultValue} where the key has no value. */
  public static <T> Key<T> keyWithDefault(String name, T defaultValue) {
    return new Key<>(name, defaultValue);
  }

  /** The current thread's context; {@link #ROOT} when none was attached. Never null. */
  public static Context current() {
    Context c = CURRENT.get();
    return c == null ? ROOT : c;
  }

  // ---------------------------------------------------------------------------------------------
  // Deriving

  /** A child of this context where {@code key} has {@code value}; it shares this context's cancellation. */
  public <T> Context withValue(Key<T> key, T value) {
    return new Context(this, Objects.requireNonNull(key, "key"), value, false);
  }

  /** A child of this context with two values. */
  public <T1, T2> Context withValues(Key<T1> k1, T1 v1, Key<T2> k2, T2 v2) {
    return withValue(k1, v1).withValue(k2, v2);
  }

  /** A child of this context with three values. */
  public <T1, T2, T3> Context withValues(Key<T1> k1, T1 v1, Key<T2> k2, T2 v2, Key<T3> k3, T3 v3) {
    return withValue(k1, v1).withValue(k2, v2).withValue(k3, v3);
  }

  /**
   * A child with this context's values that can be cancelled on its own, and is cancelled with this
   * one. Cancel or close it when done, or it stays registered with this context until that ends.
   */
  public CancellableContext withCancellation() {
    return new CancellableContext(this, null);
  }

  /**
   * A cancellable child that is cancelled by itself at {@code deadline} (with a {@link
   * TimeoutException} as cause), timed by {@code scheduler}; or earlier, at this context's deadline.
   */
  public CancellableContext withDeadline(Deadline deadline, ScheduledExecutorService scheduler) {
    Objects.requireNonNull(scheduler, "scheduler");
    return CancellableContext.withDeadline(this, deadline, scheduler);
  }

  /** As {@link #withDeadline(Deadline, ScheduledExecutorService)}, timed by Spoke's own deadline timer. */
  public CancellableContext withDeadline(Deadline deadline) {
    return CancellableContext.withDeadline(this, deadline, null);
  }

  /** A cancellable child cancelled by itself {@code duration} from now. */
  public CancellableContext withDeadlineAfter(long duration, TimeUnit unit, ScheduledExecutorService scheduler) {
    return withDeadline(Deadline.after(duration, unit), scheduler);
  }

  /** A cancellable child cancelled by itself {@code duration} from now, timed by Spoke's deadline timer. */
  public CancellableContext withDeadlineAfter(long duration, TimeUnit unit) {
    return withDeadline(Deadline.after(duration, unit));
  }

  /**
   * A context with this one's values but neither its deadline nor its cancellation: for work that must
   * outlive the call, such as reporting that it was cancelled.
   */
  public Context fork() {
    Context forked = ROOT;
    List<Context> chain = new ArrayList<>();
    for (Context c = this; c != null; c = c.parent) {
      if (c.key != null) {
        chain.add(c);
      }
    }
    for (int i = chain.size() - 1; i >= 0; i--) {
      Context c = chain.get(i);
      forked = new Context(forked, c.key, c.value, false);
    }
    return forked;
  }

  // ---------------------------------------------------------------------------------------------
  // Making it current

  /**
   * Makes this context current on this thread and returns the one it replaces; pass that to {@link
   * #detach} in a {@code finally} block.
   */
  public Context attach() {
    // ROOT is stored as null; nothing is written when this context is current already (the common
    // case of a call's callbacks on the thread that made it, or ROOT on a pool thread).
    Context previous = CURRENT.get();
    Context next = this == ROOT ? null : this;
    if (previous != next) {
      CURRENT.set(next);
    }
    return previous == null ? ROOT : previous;
  }

  /**
   * Undoes {@link #attach}: makes {@code toAttach} current again. Logs an error if this context is not
   * the current one (attach and detach were not paired), and restores {@code toAttach} anyway.
   */
  public void detach(Context toAttach) {
    Objects.requireNonNull(toAttach, "toAttach");
    Context current = CURRENT.get();
    if ((current == null ? ROOT : current) != this) {
      log.error("context detached while it was not current: attach and detach calls are not paired",
          new IllegalStateException("unpaired Context.detach"));
    }
    Context next = toAttach == ROOT ? null : toAttach;
    if (current != next) {
      CURRENT.set(next);
    }
  }

  /** Runs {@code task} with this context current. */
  public void run(Runnable task) {
    Context previous = attach();
    try {
      task.run();
    } finally {
      detach(previous);
    }
  }

  /** Runs {@code task} with this context current and returns its result. */
  public <V> V call(Callable<V> task) throws Exception {
    Context previous = attach();
    try {
      return task.call();
    } finally {
      detach(previous);
    }
  }

  /** {@code task}, wrapped to run with this context current wherever it runs. */
  public Runnable wrap(Runnable task) {
    Objects.requireNonNull(task, "task");
    return () -> run(task);
  }

  /** {@code task}, wrapped to run with this context current wherever it runs. */
  public <V> Callable<V> wrap(Callable<V> task) {
    Objects.requireNonNull(task, "task");
    return () -> call(task);
  }

  /** An executor that runs every task on {@code executor} with this context current. */
  public Executor fixedContextExecutor(Executor executor) {
    Objects.requireNonNull(executor, "executor");
    return task -> executor.execute(wrap(task));
  }

  /** An executor that runs each task on {@code executor} with the context current where it was submitted. */
  public static Executor currentContextExecutor(Executor executor) {
    Objects.requireNonNull(executor, "executor");
    return task -> executor.execute(current().wrap(task));
  }

  // ---------------------------------------------------------------------------------------------
  // Cancellation and deadline

  /** True once this context, or the ancestor it inherits its cancellation from, was cancelled. */
  public boolean isCancelled() {
    return cancellable != null && cancellable.isCancelled();
  }

  /**
   * Why this context was cancelled, or null while it is not (or when it was cancelled without a cause).
   * For a server call, a {@link StatusRuntimeException} with the call's status; see {@link
   * Contexts#statusFromCancelled}.
   */
  public Throwable cancellationCause() {
    return cancellable == null ? null : cancellable.cancellationCause();
  }

  /** The deadline of this context (a server call's, or one set with {@link #withDeadline}), or null. */
  public Deadline getDeadline() {
    return cancellable == null ? null : cancellable.getDeadline();
  }

  /**
   * Runs {@code listener} on {@code executor} when this context is cancelled; at once if it already
   * is; never for a context that cannot be cancelled (such as {@link #ROOT}).
   */
  public void addListener(CancellationListener listener, Executor executor) {
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(executor, "executor");
    if (cancellable != null) {
      cancellable.addListener(listener, executor);
    }
  }

  /** Removes a listener added by {@link #addListener}; no-op if absent. */
  public void removeListener(CancellationListener listener) {
    if (cancellable != null) {
      cancellable.removeListener(listener);
    }
  }

  /** The server call this context belongs to (its own, or one it was derived from), or null. */
  CallContext callContext() {
    return call;
  }

  @Override
  public String toString() {
    if (this == ROOT) {
      return "Context.ROOT";
    }
    StringBuilder b = new StringBuilder("Context{");
    String sep = "";
    for (Context c = this; c != null; c = c.parent) {
      if (c.key != null) {
        b.append(sep).append(c.key).append('=').append(c.value);
        sep = ", ";
      }
    }
    return b.append(isCancelled() ? (sep.isEmpty() ? "cancelled" : ", cancelled") : "").append('}').toString();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The listeners of one cancellable context: each to its executor, or to a list of executors if added
   * more than once. Keyed by identity so that removing one costs the same with 20,000 as with one: every
   * client call a handler makes adds one (to pass the cancellation on) and removes it when it ends.
   * Listeners are {@link CancellationListener}s or, for {@link CallContext}'s own API, {@link Runnable}s.
   *
   * <p>Guarded by the owning context's monitor.
   */
  static final class Listeners {
    /** {@link CancellationListener}s, and {@link Runnable}s ({@link CallContext}'s own API), apart: one object may be both. */
    private IdentityHashMap<Object, Object> listeners;
    private IdentityHashMap<Object, Object> runnables;

    void add(CancellationListener listener, Executor executor) {
      listeners = add(listeners, listener, executor);
    }

    void add(Runnable runnable, Executor executor) {
      runnables = add(runnables, runnable, executor);
    }

    private static IdentityHashMap<Object, Object> add(IdentityHashMap<Object, Object> map, Object key, Executor executor) {
      if (map == null) {
        map = new IdentityHashMap<>(4);
      }
      Object previous = map.putIfAbsent(key, executor);
      if (previous != null) {
        List<Executor> several;
        if (previous instanceof Executor) {
          several = new ArrayList<>(2);
          several.add((Executor) previous);
          map.put(key, several);
        } else {
          @SuppressWarnings("unchecked")
          List<Executor> list = (List<Executor>) previous;
          several = list;
        }
        several.add(executor);
      }
      return map;
    }

    void remove(CancellationListener listener) {
      if (listeners != null) {
        listeners.remove(listener);
      }
    }

    void remove(Runnable runnable) {
      if (runnables != null) {
        runnables.remove(runnable);
      }
    }

    boolean isEmpty() {
      return (listeners == null || listeners.isEmpty()) && (runnables == null || runnables.isEmpty());
    }

    /** Runs every listener on its executor(s); {@code context} is what they are told was cancelled. */
    void fire(Context context) {
      fire(context, listeners, false);
      fire(context, runnables, true);
    }

    private static void fire(Context context, IdentityHashMap<Object, Object> map, boolean runnable) {
      if (map == null) {
        return;
      }
      map.forEach((listener, executors) -> {
        Runnable task = runnable ? (Runnable) listener : () -> ((CancellationListener) listener).cancelled(context);
        if (executors instanceof Executor) {
          run(context, task, (Executor) executors);
        } else {
          @SuppressWarnings("unchecked")
          List<Executor> list = (List<Executor>) executors;
          for (Executor e : list) {
            run(context, task, e);
          }
        }
      });
    }

    static void notify(Context context, CancellationListener listener, Executor executor) {
      run(context, () -> listener.cancelled(context), executor);
    }

    static void run(Context context, Runnable task, Executor executor) {
      try {
        executor.execute(task);
      } catch (Throwable t) {
        log.error("a cancellation listener of {} threw", context, t);
      }
    }
  }

  /** Fires a context's own deadline on Spoke's timer; the cancellation itself runs off the timer thread. */
  static final class DeadlineTask extends dev.spoke.internal.DeadlineTimer.Task {
    private final CancellableContext context;

    DeadlineTask(CancellableContext context) {
      this.context = context;
    }

    @Override
    protected void expire() {
      ForkJoinPool.commonPool().execute(() -> context.cancel(new TimeoutException("context timed out")));
    }
  }

  /** Cancels a context at its deadline through a user's scheduler. */
  static ScheduledFuture<?> schedule(ScheduledExecutorService scheduler, CancellableContext context, Deadline deadline) {
    return scheduler.schedule(() -> context.cancel(new TimeoutException("context timed out")),
        Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
  }
}
