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
 * Makes a call again when it fails with {@code UNAVAILABLE}, which is what calls to a plugin that
 * died get (those in flight, and those made while it restarts). Before each new attempt it waits for
 * the plugin to be READY again, with a back-off, for up to {@link #PATIENCE} in all; a plugin that is
 * down for good ends the wait at once. Every other status is the call's answer and is not retried.
 *
 * <p>Why a back-off even when the plugin reads READY: the host learns of a death in steps (the hub
 * sees the peer go, the process is reaped, the restart policy takes over), and between them the old
 * process may still read READY while its calls already fail.
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
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e;
        }
        if (!retried) {
          retried = true;
          stats.retrying();
        }
        awaitReady(plugin, deadline, backoff, e);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
      }
    }
  }

  /** Waits {@code backoff}, then until the plugin is READY; throws {@code last} if that is not to be. */
  private static void awaitReady(Plugin plugin, long deadline, long backoff, StatusRuntimeException last) {
    long wait = backoff;
    for (;;) {
      if (System.nanoTime() + wait - deadline > 0) {
        throw Status.UNAVAILABLE.withDescription("plugin '" + plugin.name() + "' stayed unavailable for "
            + PATIENCE.toSeconds() + " s; the last failure: " + last.getStatus().getDescription()).asRuntimeException();
      }
      LockSupport.parkNanos(wait);
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw last;
      }
      PluginState state = plugin.state();
      if (state == PluginState.READY) {
        return;
      }
      if (state == PluginState.FAILED || state == PluginState.STOPPED || state == PluginState.STOPPING) {
        throw last;
      }
      wait = FIRST_BACKOFF_NANOS; // restarting: look again soon
    }
  }
}
