package dev.spoke.internal;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Deadline;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceConfig;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A channel with a {@link ServiceConfig}: applies each method's timeout and wait-for-ready, and makes
 * the calls that may be retried ({@link #retries}) through a {@link RetryingCall}. Other calls go to
 * the channel underneath untouched.
 *
 * <p>Thread-safe.
 */
public final class ConfiguredChannel extends Channel {

  private final Channel next;
  private final ServiceConfig config;
  private final Executor retryExecutor;
  /** Each method's settings, looked up once. */
  private final ConcurrentHashMap<MethodDescriptor<?, ?>, ServiceConfig.MethodConfig> methods = new ConcurrentHashMap<>();

  /** Calls go to {@code next}; later attempts of calls without an executor start on {@code retryExecutor}. */
  public ConfiguredChannel(Channel next, ServiceConfig config, Executor retryExecutor) {
    this.next = Objects.requireNonNull(next, "next");
    this.config = Objects.requireNonNull(config, "config");
    this.retryExecutor = Objects.requireNonNull(retryExecutor, "retryExecutor");
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    ServiceConfig.MethodConfig mc = config.isEmpty() ? null : methods.computeIfAbsent(method, config::forMethod);
    CallOptions o = mc == null ? options : apply(mc, options);
    if (retries(mc, o)) {
      return new RetryingCall<>(next, method, o, mc == null ? null : mc.retryPolicy(), retryExecutor);
    }
    return next.newCall(method, o);
  }

  /**
   * True if a call may be made again: it has a retry policy, or it waits for a ready channel (then one
   * that failed without having run is made again, for the channel may be ready by now).
   */
  public static boolean retries(ServiceConfig.MethodConfig mc, CallOptions options) {
    return options.isWaitForReady() || (mc != null && mc.retryPolicy() != null);
  }

  /** {@code options} with the method's timeout and wait-for-ready applied. */
  public static CallOptions apply(ServiceConfig.MethodConfig mc, CallOptions options) {
    CallOptions o = options;
    if (mc.timeout() != null) {
      Deadline byTimeout = Deadline.after(mc.timeout().toNanos(), TimeUnit.NANOSECONDS);
      if (o.getDeadline() == null || byTimeout.isBefore(o.getDeadline())) {
        o = o.withDeadline(byTimeout);
      }
    }
    if (mc.waitForReady() != null) {
      o = mc.waitForReady() ? o.withWaitForReady() : o.withoutWaitForReady();
    }
    return o;
  }

  @Override
  public String authority() {
    return next.authority();
  }

  @Override
  public String toString() {
    return next + " with " + config;
  }
}
