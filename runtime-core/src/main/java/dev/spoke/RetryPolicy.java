package dev.spoke;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed call is made again, with gRPC's service-config semantics: up to {@link #maxAttempts()}
 * attempts in all, the n-th retry after a random pause between zero and {@code min(initialBackoff *
 * backoffMultiplier^(n-1), maxBackoff)}, and only for the {@link #retryableStatusCodes()}. A server
 * may push back with the trailer {@value #PUSHBACK_KEY_NAME}: a number of milliseconds to wait instead,
 * or a negative or unreadable value to stop retrying.
 *
 * <p>A call is retried only while nothing of its response reached the caller: once response headers
 * or a message arrive, or it has sent more than {@link #MAX_BUFFERED_BYTES} of requests (which a
 * retry would have to send again), it is committed to its attempt. Its deadline covers all attempts.
 * Retry only calls that are safe to repeat: a failed attempt may have run on the server. (Calls that
 * never ran, see {@link CallNotRun}, are made again without a policy and without counting as attempts.)
 *
 * <p>Install through a {@link ServiceConfig}. Immutable and thread-safe.
 */
public final class RetryPolicy {

  /** gRPC's limit on attempts: a policy asking for more gets this many. */
  public static final int MAX_ATTEMPTS_LIMIT = 5;
  /** Requests a call may have sent and still be retried: it holds them to send them again. */
  public static final long MAX_BUFFERED_BYTES = 1 << 20;
  /** The trailer by which a server says how long to wait before a retry (gRPC's). */
  public static final String PUSHBACK_KEY_NAME = "grpc-retry-pushback-ms";
  /** The request header that says how many attempts came before this one (gRPC's). */
  public static final String PREVIOUS_ATTEMPTS_KEY_NAME = "grpc-previous-rpc-attempts";

  static final Metadata.Key<String> PUSHBACK = Metadata.Key.of(PUSHBACK_KEY_NAME, Metadata.ASCII_STRING_MARSHALLER);

  private final int maxAttempts;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final double backoffMultiplier;
  private final Set<Status.Code> retryableStatusCodes;

  private RetryPolicy(Builder b) {
    if (b.maxAttempts < 2) {
      throw new IllegalArgumentException("maxAttempts must be at least 2 (the first attempt and a retry), got "
          + b.maxAttempts);
    }
    this.maxAttempts = Math.min(b.maxAttempts, MAX_ATTEMPTS_LIMIT);
    this.initialBackoff = positive(b.initialBackoff, "initialBackoff");
    this.maxBackoff = positive(b.maxBackoff, "maxBackoff");
    if (!(b.backoffMultiplier > 0) || Double.isInfinite(b.backoffMultiplier)) {
      throw new IllegalArgumentException("backoffMultiplier must be a positive number, got " + b.backoffMultiplier);
    }
    this.backoffMultiplier = b.backoffMultiplier;
    if (b.retryableStatusCodes.isEmpty()) {
      throw new IllegalArgumentException("retryableStatusCodes must name at least one status code");
    }
    if (b.retryableStatusCodes.contains(Status.Code.OK)) {
      throw new IllegalArgumentException("OK is not a failure to retry");
    }
    this.retryableStatusCodes = Collections.unmodifiableSet(EnumSet.copyOf(b.retryableStatusCodes));
  }

  private static Duration positive(Duration d, String what) {
    Objects.requireNonNull(d, what + " is not set");
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
    return d;
  }

  /**
   * A builder with gRPC's usual values: 5 attempts, 100 ms first back-off doubling up to 10 s, and
   * {@code UNAVAILABLE} retryable.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Attempts in all, the first included (at most {@link #MAX_ATTEMPTS_LIMIT}). */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The ceiling of the pause before the first retry. */
  public Duration initialBackoff() {
    return initialBackoff;
  }

  /** The highest ceiling of any pause. */
  public Duration maxBackoff() {
    return maxBackoff;
  }

  /** How much the ceiling grows from one retry to the next. */
  public double backoffMultiplier() {
    return backoffMultiplier;
  }

  /** The status codes after which a call is retried. */
  public Set<Status.Code> retryableStatusCodes() {
    return retryableStatusCodes;
  }

  /** True if a call that failed with {@code code} may be retried under this policy. */
  public boolean isRetryable(Status.Code code) {
    return retryableStatusCodes.contains(code);
  }

  /**
   * The pause before retry number {@code retry} (1 for the first retry), in nanoseconds: random between
   * zero and the back-off for that retry, as gRPC draws it.
   */
  public long backoffNanos(int retry) {
    double ceiling = initialBackoff.toNanos() * Math.pow(backoffMultiplier, Math.max(0, retry - 1));
    ceiling = Math.min(ceiling, maxBackoff.toNanos());
    return (long) (ThreadLocalRandom.current().nextDouble() * ceiling);
  }

  @Override
  public String toString() {
    return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", maxBackoff="
        + maxBackoff + ", backoffMultiplier=" + backoffMultiplier + ", retryable=" + retryableStatusCodes + "}";
  }

  /** Builds a {@link RetryPolicy}. Not thread-safe. */
  public static final class Builder {
    private int maxAttempts = MAX_ATTEMPTS_LIMIT;
    private Duration initialBackoff = Duration.ofMillis(100);
    private Duration maxBackoff = Duration.ofSeconds(10);
    private double backoffMultiplier = 2;
    private Set<Status.Code> retryableStatusCodes = EnumSet.of(Status.Code.UNAVAILABLE);

    private Builder() {}

    /** Attempts in all, the first included; at least 2; more than {@link #MAX_ATTEMPTS_LIMIT} count as that. */
    public Builder maxAttempts(int attempts) {
      this.maxAttempts = attempts;
      return this;
    }

    /** The ceiling of the pause before the first retry; positive. */
    public Builder initialBackoff(Duration backoff) {
      this.initialBackoff = backoff;
      return this;
    }

    /** The highest ceiling of any pause; positive. */
    public Builder maxBackoff(Duration backoff) {
      this.maxBackoff = backoff;
      return this;
    }

    /** How much the ceiling grows from one retry to the next; positive. */
    public Builder backoffMultiplier(double multiplier) {
      this.backoffMultiplier = multiplier;
      return this;
    }

    /** The status codes after which a call is retried (replacing the default, UNAVAILABLE). */
    public Builder retryableStatusCodes(Status.Code... codes) {
      this.retryableStatusCodes = codes.length == 0 ? EnumSet.noneOf(Status.Code.class) : EnumSet.of(codes[0], codes);
      return this;
    }

    /** The status codes after which a call is retried (replacing the default, UNAVAILABLE). */
    public Builder retryableStatusCodes(Set<Status.Code> codes) {
      this.retryableStatusCodes = codes.isEmpty() ? EnumSet.noneOf(Status.Code.class) : EnumSet.copyOf(codes);
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the value that is out of range
     */
    public RetryPolicy build() {
      return new RetryPolicy(this);
    }
  }
}
