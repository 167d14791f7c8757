package dev.spoke;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Per-call settings: a deadline, the executor that runs the call's callbacks, request headers, a
 * listener for response trailers, and whether to wait for a channel that is not ready. Stubs carry one and derive new stubs with {@code withX} copies.
 *
 * <p>Immutable and thread-safe; every {@code withX} returns a new instance.
 */
public final class CallOptions {

  /** No deadline, the channel's default executor, no headers. */
  public static final CallOptions DEFAULT = new CallOptions(null, null, null, null, false);

  private final Deadline deadline;
  private final Executor executor;
  private final Metadata headers;
  private final Consumer<Metadata> trailersListener;
  private final boolean waitForReady;

  private CallOptions(Deadline deadline, Executor executor, Metadata headers, Consumer<Metadata> trailersListener,
      boolean waitForReady) {
    this.deadline = deadline;
    this.executor = executor;
    this.headers = headers;
    this.trailersListener = trailersListener;
    this.waitForReady = waitForReady;
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

  public CallOptions withDeadline(Deadline newDeadline) {
    return new CallOptions(newDeadline, executor, headers, trailersListener, waitForReady);
  }

  /** A deadline {@code duration} from now, measured when this method is called. */
  public CallOptions withDeadlineAfter(long duration, TimeUnit unit) {
    return withDeadline(Deadline.after(duration, unit));
  }

  public CallOptions withExecutor(Executor newExecutor) {
    return new CallOptions(deadline, newExecutor, headers, trailersListener, waitForReady);
  }

  /** These options with {@code key: value} added to the request headers. */
  public CallOptions withHeader(String key, String value) {
    Metadata merged = new Metadata().merge(headers).put(key, value);
    return new CallOptions(deadline, executor, merged, trailersListener, waitForReady);
  }

  /** These options with every entry of {@code extra} added to the request headers. */
  public CallOptions withHeaders(Metadata extra) {
    Objects.requireNonNull(extra, "extra");
    Metadata merged = new Metadata().merge(headers).merge(extra);
    return new CallOptions(deadline, executor, merged, trailersListener, waitForReady);
  }

  /**
   * These options with a listener that receives each call's response trailers (possibly empty) just
   * before the call's result is delivered. Called on the call's executor.
   */
  public CallOptions withTrailersListener(Consumer<Metadata> listener) {
    return new CallOptions(deadline, executor, headers, listener, waitForReady);
  }

  /**
   * These options with wait-for-ready: a call made while its channel is not ready but may become so
   * (a plugin that is starting or restarting) waits for it, up to the call's deadline, instead of
   * failing at once with {@code UNAVAILABLE}. A channel that is down for good still fails the call at
   * once. Set a deadline with it: without one, a call may wait as long as the plugin takes to come back.
   */
  public CallOptions withWaitForReady() {
    return waitForReady ? this : new CallOptions(deadline, executor, headers, trailersListener, true);
  }

  /** These options without wait-for-ready: calls to a channel that is not ready fail at once (the default). */
  public CallOptions withoutWaitForReady() {
    return waitForReady ? new CallOptions(deadline, executor, headers, trailersListener, false) : this;
  }

  @Override
  public String toString() {
    return "CallOptions{deadline=" + deadline + ", executor=" + executor + ", headers=" + headers
        + (waitForReady ? ", waitForReady" : "") + "}";
  }
}
