package dev.spoke.examples.site;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginState;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Makes a call again when it fails with {@code UNAVAILABLE}, which is what the calls a plugin had in
 * flight get when it dies. The calls are made with {@code withWaitForReady()}, so a call made while the
 * plugin restarts waits for the new process by itself, and one that the dying process never read (made
 * in the moment between its death and the host noticing) is made again by the channel, for it did not
 * run. What is left are the calls the dead process had taken: they may have run, and only the
 * application knows it may make them again; the demo's calls may be (a unary call could say so with a
 * {@code RetryPolicy} in the plugin's {@code ServiceConfig}; a stream that has already delivered output
 * starts over here). A plugin that is down for good, a status other than UNAVAILABLE, or more than
 * {@link #PATIENCE} of retrying ends it.
 *
 * <p>Thread-safe.
 */
final class Retrier {

  static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final long FIRST_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  private Retrier() {}

  /**
   * Runs {@code attempt} until it returns, fails with a status other than UNAVAILABLE, or the plugin
   * stays unavailable too long. Counts a call that needed more than one attempt as retried.
   */
  static <T> T call(Plugin plugin, CallStats stats, Supplier<T> attempt) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    long backoff = FIRST_BACKOFF_NANOS;
    boolean retried = false;
    for (;;) {
      try {
        return attempt.get();
      } catch (StatusRuntimeException e) {
        PluginState state = plugin.state();
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || state == PluginState.FAILED
            || state == PluginState.STOPPED || state == PluginState.STOPPING || System.nanoTime() + backoff - deadline > 0) {
          throw e;
        }
        if (!retried) {
          retried = true;
          stats.retrying();
        }
        LockSupport.parkNanos(backoff);
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
      }
    }
  }
}
