package dev.spoke;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Per-call settings: a deadline, the executor that runs the call's callbacks, request headers, a
 * listener for response trailers, whether to wait for a channel that is not ready, and custom options
 * for interceptors ({@link Key}). Stubs carry one and derive new stubs with {@code withX} copies.
 *
 * <p>Immutable and thread-safe; every {@code withX} returns a new instance.
 */
public final class CallOptions {

  private static final Object[] NO_OPTIONS = new Object[0];

  /** No deadline, the channel's default executor, no headers. */
  public static final CallOptions DEFAULT = new CallOptions(null, null, null, null, false, NO_OPTIONS);

  /**
   * A custom option, for an interceptor to read what the code that made the call set: make it once, as
   * a constant. Keys compare by identity.
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

    /** A key whose value is {@code defaultValue} in options that do not set it. */
    public static <T> Key<T> createWithDefault(String name, T defaultValue) {
      return new Key<>(name, defaultValue);
    }

    /** A key whose value is null in options that do not set it. */
    public static <T> Key<T> create(String name) {
      return new Key<>(name, null);
    }

    /** The value in options that do not set this key. */
    public T getDefault() {
      return defaultValue;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final Deadline deadline;
  private final Executor executor;
  private final Metadata headers;
  private final Consumer<Metadata> trailersListener;
  private final boolean waitForReady;
  /** Custom options: key, value, key, value… */
  private final Object[] options;

  private CallOptions(Deadline deadline, Executor executor, Metadata headers, Consumer<Metadata> trailersListener,
      boolean waitForReady, Object[] options) {
    this.deadline = deadline;
    this.executor = executor;
    this.headers = headers;
    this.trailersListener = trailersListener;
    this.waitForReady = waitForReady;
    this.options = options;
  }

  /** The deadline, or null for none. */
  public Deadline getDeadline() {
    return deadline;
  }

  /** The executor for the call's callbacks, or null for the channel's default. */
  public Executor getExecutor() {
    return executor;
  }

  /** Request headers sent with every call made with these options, or null. Do not modify. */
  public Metadata getHeaders() {
    return headers;
  }

  /** Receives each call's response trailers before its completion is delivered, or null. */
  public Consumer<Metadata> getTrailersListener() {
    return trailersListener;
  }

  /** Whether calls wait for a channel that is not ready; see {@link #withWaitForReady()}. */
  public boolean isWaitForReady() {
    return waitForReady;
  }

  /** These options with {@code newDeadline} (null: none). */
  public CallOptions withDeadline(Deadline newDeadline) {
    return new CallOptions(newDeadline, executor, headers, trailersListener, waitForReady, options);
  }

  /** A deadline {@code duration} from now, measured when this method is called. */
  public CallOptions withDeadlineAfter(long duration, TimeUnit unit) {
    return withDeadline(Deadline.after(duration, unit));
  }

  /** These options with callbacks run on {@code newExecutor} (null: the channel's). */
  public CallOptions withExecutor(Executor newExecutor) {
    return new CallOptions(deadline, newExecutor, headers, trailersListener, waitForReady, options);
  }

  /** These options with {@code key: value} added to the request headers. */
  public CallOptions withHeader(String key, String value) {
    Metadata merged = new Metadata().merge(headers).put(key, value);
    return new CallOptions(deadline, executor, merged, trailersListener, waitForReady, options);
  }

  /** These options with every entry of {@code extra} added to the request headers. */
  public CallOptions withHeaders(Metadata extra) {
    Objects.requireNonNull(extra, "extra");
    Metadata merged = new Metadata().merge(headers).merge(extra);
    return new CallOptions(deadline, executor, merged, trailersListener, waitForReady, options);
  }

  /**
   * These options with a listener that receives each call's response trailers (possibly empty) just
   * before the call's result is delivered. Called on the call's executor.
   */
  public CallOptions withTrailersListener(Consumer<Metadata> listener) {
    return new CallOptions(deadline, executor, headers, listener, waitForReady, options);
  }

  /**
   * These options with wait-for-ready: a call made while its channel is not ready but may become so
   * (a plugin that is starting or restarting) waits for it, up to the call's deadline, instead of
   * failing at once with {@code UNAVAILABLE}. A channel that is down for good still fails the call at
   * once. Set a deadline with it: without one, a call may wait as long as the plugin takes to come back.
   */
  public CallOptions withWaitForReady() {
    return waitForReady ? this : new CallOptions(deadline, executor, headers, trailersListener, true, options);
  }

  /** These options without wait-for-ready: calls to a channel that is not ready fail at once (the default). */
  public CallOptions withoutWaitForReady() {
    return waitForReady ? new CallOptions(deadline, executor, headers, trailersListener, false, options) : this;
  }

  /** These options with custom option {@code key} set to {@code value} (replacing an earlier value). */
  public <T> CallOptions withOption(Key<T> key, T value) {
    Objects.requireNonNull(key, "key");
    int at = -1;
    for (int i = 0; i < options.length; i += 2) {
      if (options[i] == key) {
        at = i;
      }
    }
    Object[] next = java.util.Arrays.copyOf(options, at >= 0 ? options.length : options.length + 2);
    if (at < 0) {
      at = options.length;
    }
    next[at] = key;
    next[at + 1] = value;
    return new CallOptions(deadline, executor, headers, trailersListener, waitForReady, next);
  }

  /** The value of custom option {@code key}, or its default. */
  @SuppressWarnings("unchecked")
  public <T> T getOption(Key<T> key) {
    for (int i = 0; i < options.length; i += 2) {
      if (options[i] == key) {
        return (T) options[i + 1];
      }
    }
    return key.defaultValue;
  }

  @Override
  public String toString() {
    return "CallOptions{deadline=" + deadline + ", executor=" + executor + ", headers=" + headers
        + (waitForReady ? ", waitForReady" : "") + "}";
  }
}
