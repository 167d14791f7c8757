package dev.spoke;

import dev.spoke.internal.ConfiguredChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * Per-method call settings of a channel, with gRPC's service-config semantics: a {@link RetryPolicy},
 * wait-for-ready, and a timeout, for every method, for the methods of one service, or for one method;
 * the most specific entry wins. Build one with {@link #builder()}, or read gRPC's JSON service config
 * (parsed into maps and lists, as gRPC-java's {@code defaultServiceConfig} takes it) with {@link
 * #fromMap}. A plugin gets one through {@code PluginSpec}; any other channel through {@link #applyTo}.
 *
 * <pre>{@code
 * ServiceConfig config = ServiceConfig.builder()
 *     .retryPolicy("site.Minifier", RetryPolicy.builder().maxAttempts(4).build())
 *     .waitForReady("site.Minifier", true)
 *     .timeout("site.Minifier/MinifyHtml", Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 *
 * <p>A channel with a service config also makes again, at once and without counting them as attempts,
 * the wait-for-ready and retry-policy calls that failed {@code UNAVAILABLE} without having run ({@link
 * CallNotRun}): a call that met a plugin process which died before reading it then reaches the next
 * process. Retry throttling and hedging are not supported.
 *
 * <p>Immutable and thread-safe.
 */
public final class ServiceConfig {

  /** Nothing configured: channels keep only their transparent retries of calls that never ran. */
  public static final ServiceConfig NONE = new ServiceConfig(Map.of());

  /** The settings of one method (or service, or every method). Immutable. */
  public static final class MethodConfig {
    static final MethodConfig EMPTY = new MethodConfig(null, null, null);

    private final RetryPolicy retryPolicy;
    private final Boolean waitForReady;
    private final Duration timeout;

    MethodConfig(RetryPolicy retryPolicy, Boolean waitForReady, Duration timeout) {
      this.retryPolicy = retryPolicy;
      this.waitForReady = waitForReady;
      this.timeout = timeout;
    }

    /** The retry policy, or null: failed calls are not retried (except calls that never ran). */
    public RetryPolicy retryPolicy() {
      return retryPolicy;
    }

    /** True or false to set wait-for-ready on every call, or null to leave the call's own setting. */
    public Boolean waitForReady() {
      return waitForReady;
    }

    /** The longest a call may take (its deadline, unless the call's own is earlier), or null. */
    public Duration timeout() {
      return timeout;
    }

    MethodConfig with(RetryPolicy policy, Boolean wfr, Duration t) {
      return new MethodConfig(policy != null ? policy : retryPolicy, wfr != null ? wfr : waitForReady,
          t != null ? t : timeout);
    }

    @Override
    public String toString() {
      return "MethodConfig{retryPolicy=" + retryPolicy + ", waitForReady=" + waitForReady + ", timeout=" + timeout + "}";
    }
  }

  /** Keyed by "" (every method), a service name, or a full method name. */
  private final Map<String, MethodConfig> entries;

  private ServiceConfig(Map<String, MethodConfig> entries) {
    this.entries = Map.copyOf(entries);
  }

  /** A builder with nothing configured. */
  public static Builder builder() {
    return new Builder();
  }

  /** True if nothing is configured. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The settings for {@code method}: its own entry, else its service's, else the default, else none. */
  public MethodConfig forMethod(MethodDescriptor<?, ?> method) {
    MethodConfig c = entries.get(method.getFullMethodName());
    if (c == null) {
      c = entries.get(method.getServiceName());
    }
    if (c == null) {
      c = entries.get("");
    }
    return c != null ? c : MethodConfig.EMPTY;
  }

  /**
   * A channel that makes calls through {@code channel} with these settings; retries run their later
   * attempts on the call's executor, or the common fork-join pool for calls without one.
   */
  public Channel applyTo(Channel channel) {
    return applyTo(channel, ForkJoinPool.commonPool());
  }

  /** As {@link #applyTo(Channel)}, with later attempts of calls without an executor of their own on {@code retryExecutor}. */
  public Channel applyTo(Channel channel, Executor retryExecutor) {
    return new ConfiguredChannel(channel, this, retryExecutor);
  }

  /**
   * Reads gRPC's service config, as a JSON parser produces it: an object with a {@code methodConfig}
   * list, each with {@code name} (a list of {@code {"service": ..., "method": ...}}; an empty name or a
   * missing method names a whole service, an empty object every method), {@code waitForReady}, {@code
   * timeout} ({@code "1.5s"}) and {@code retryPolicy} ({@code maxAttempts}, {@code initialBackoff},
   * {@code maxBackoff}, {@code backoffMultiplier}, {@code retryableStatusCodes} by name or number).
   * Other fields (load balancing, hedging, throttling) are ignored.
   *
   * @throws IllegalArgumentException naming the field that is missing or wrong
   */
  public static ServiceConfig fromMap(Map<String, ?> config) {
    Builder b = builder();
    for (Object mc : list(config.get("methodConfig"), "methodConfig")) {
      Map<String, ?> m = map(mc, "methodConfig entry");
      List<String> names = new ArrayList<>();
      for (Object n : list(m.get("name"), "methodConfig.name")) {
        Map<String, ?> name = map(n, "methodConfig.name entry");
        String service = string(name.get("service"), "name.service");
        String method = string(name.get("method"), "name.method");
        if ((service == null || service.isEmpty()) && method != null && !method.isEmpty()) {
          throw new IllegalArgumentException("methodConfig name has a method (" + method + ") but no service");
        }
        names.add(service == null || service.isEmpty() ? "" : method == null || method.isEmpty() ? service
            : MethodDescriptor.generateFullMethodName(service, method));
      }
      if (names.isEmpty()) {
        throw new IllegalArgumentException("a methodConfig entry has no name");
      }
      Boolean wfr = (Boolean) m.get("waitForReady");
      Duration timeout = m.containsKey("timeout") ? duration(m.get("timeout"), "timeout") : null;
      RetryPolicy policy = m.containsKey("retryPolicy") ? retryPolicy(map(m.get("retryPolicy"), "retryPolicy")) : null;
      for (String name : names) {
        b.entry(name, policy, wfr, timeout);
      }
    }
    return b.build();
  }

  private static RetryPolicy retryPolicy(Map<String, ?> p) {
    Object attempts = p.get("maxAttempts");
    if (!(attempts instanceof Number)) {
      throw new IllegalArgumentException("retryPolicy.maxAttempts is missing or not a number: " + attempts);
    }
    Object multiplier = p.get("backoffMultiplier");
    if (!(multiplier instanceof Number)) {
      throw new IllegalArgumentException("retryPolicy.backoffMultiplier is missing or not a number: " + multiplier);
    }
    Set<Status.Code> codes = EnumSet.noneOf(Status.Code.class);
    for (Object c : list(p.get("retryableStatusCodes"), "retryPolicy.retryableStatusCodes")) {
      if (c instanceof Number) {
        int v = ((Number) c).intValue();
        Status.Code code = Status.Code.fromValue(v);
        if (code.value() != v) {
          throw new IllegalArgumentException("retryableStatusCodes: " + c + " is not a status code");
        }
        codes.add(code);
      } else {
        try {
          codes.add(Status.Code.valueOf(String.valueOf(c).toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("retryableStatusCodes: '" + c + "' is not a status code name", e);
        }
      }
    }
    return RetryPolicy.builder()
        .maxAttempts(((Number) attempts).intValue())
        .initialBackoff(duration(p.get("initialBackoff"), "retryPolicy.initialBackoff"))
        .maxBackoff(duration(p.get("maxBackoff"), "retryPolicy.maxBackoff"))
        .backoffMultiplier(((Number) multiplier).doubleValue())
        .retryableStatusCodes(codes)
        .build();
  }

  /** A protobuf-JSON duration: decimal seconds with an "s", such as "0.1s" or "3s". */
  private static Duration duration(Object value, String what) {
    if (!(value instanceof String) || !((String) value).endsWith("s")) {
      throw new IllegalArgumentException(what + " must be a duration such as \"0.5s\", got " + value);
    }
    String s = (String) value;
    try {
      java.math.BigDecimal seconds = new java.math.BigDecimal(s.substring(0, s.length() - 1));
      return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be a duration such as \"0.5s\", got " + value, e);
    }
  }

  private static List<?> list(Object value, String what) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof List)) {
      throw new IllegalArgumentException(what + " must be a list, got " + value);
    }
    return (List<?>) value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> map(Object value, String what) {
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException(what + " must be an object, got " + value);
    }
    return (Map<String, ?>) value;
  }

  private static String string(Object value, String what) {
    if (value != null && !(value instanceof String)) {
      throw new IllegalArgumentException(what + " must be a string, got " + value);
    }
    return (String) value;
  }

  @Override
  public String toString() {
    return "ServiceConfig" + entries;
  }

  /**
   * Builds a {@link ServiceConfig}. Names are {@code ""} or omitted for every method, a service's full
   * name ({@code package.Service}), or a method's ({@code package.Service/Method}). Not thread-safe.
   */
  public static final class Builder {
    private final Map<String, MethodConfig> entries = new LinkedHashMap<>();

    private Builder() {}

    /** The retry policy of every method without one of its own or of its service. */
    public Builder retryPolicy(RetryPolicy policy) {
      return retryPolicy("", policy);
    }

    /** The retry policy of a service's methods or of one method. */
    public Builder retryPolicy(String name, RetryPolicy policy) {
      return entry(name, Objects.requireNonNull(policy, "policy"), null, null);
    }

    /** Wait-for-ready for a service's methods, one method, or ({@code ""}) every method. */
    public Builder waitForReady(String name, boolean waitForReady) {
      return entry(name, null, waitForReady, null);
    }

    /** A timeout for a service's methods, one method, or ({@code ""}) every method. */
    public Builder timeout(String name, Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, got " + timeout);
      }
      return entry(name, null, null, timeout);
    }

    Builder entry(String name, RetryPolicy policy, Boolean wfr, Duration timeout) {
      Objects.requireNonNull(name, "name");
      if (!name.isEmpty() && name.startsWith("/")) {
        throw new IllegalArgumentException("'" + name + "' names a method without its service");
      }
      entries.merge(name, MethodConfig.EMPTY.with(policy, wfr, timeout), (old, added) -> old.with(policy, wfr, timeout));
      return this;
    }

    /** The config built so far. */
    public ServiceConfig build() {
      return new ServiceConfig(entries);
    }
  }
}
