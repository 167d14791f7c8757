package dev.spoke;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Per-call settings: a deadline, the executor that runs the call's callbacks, request headers, and a
 * listener for response trailers. Stubs carry one and derive new stubs with {@code withX} copies.
 *
 * <p>Immutable and thread-safe; every {@code withX} returns a new instance.
 */
public final class CallOptions {

  /** No deadline, the channel's default executor, no headers. */
  public static final CallOptions DEFAULT = new CallOptions(null, null, null, null);

  private final Deadline deadline;
  private final Executor executor;
  private final Metadata headers;
  private final Consumer<Metadata> trailersListener;

  private CallOptions(
      Deadline deadline, Executor executor, Metadata headers, Consumer<Metadata> trailersListener) {
    this.deadline = deadline;
    this.executor = executor;
    this.headers = headers;
    this.trailersListener = trailersListener;
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

  public CallOptions withDeadline(Deadline newDeadline) {
    return new CallOptions(newDeadline, executor, headers, trailersListener);
  }

  /** A deadline {@code duration} from now, measured when this method is called. */
  public CallOptions withDeadlineAfter(long duration, TimeUnit unit) {
    return withDeadline(Deadline.after(duration, unit));
  }

  public CallOptions withExecutor(Executor newExecutor) {
    return new CallOptions(deadline, newExecutor, headers, trailersListener);
  }

  /** These options with {@code key: value} added to the request headers. */
  public CallOptions withHeader(String key, String value) {
    Metadata merged = new Metadata().merge(headers).put(key, value);
    return new CallOptions(deadline, executor, merged, trailersListener);
  }

  /** These options with every entry of {@code extra} added to the request headers. */
  public CallOptions withHeaders(Metadata extra) {
    Objects.requireNonNull(extra, "extra");
    Metadata merged = new Metadata().merge(headers).merge(extra);
    return new CallOptions(deadline, executor, merged, trailersListener);
  }

  /**
   * These options with a listener that receives each call's response trailers (possibly empty) just
   * before the call's result is delivered. Called on the call's executor.
   */
  public CallOptions withTrailersListener(Consumer<Metadata> listener) {
    return new CallOptions(deadline, executor, headers, listener);
  }

  @Override
  public String toString() {
    return "CallOptions{deadline=" + deadline + ", executor=" + executor + ", headers=" + headers + "}";
  }
}
