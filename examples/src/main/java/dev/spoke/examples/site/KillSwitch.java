package dev.spoke.examples.site;

import dev.spoke.host.Plugin;
import dev.spoke.host.PluginState;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The demo's {@code --kill}: kills one plugin with SIGKILL part-way through the build, to show the
 * restart policy and the retries at work.
 *
 * <p>It fires when the plugin calls the host after a third of its calls are done, from inside that
 * callback: the plugin is then certainly in the middle of a call of the host's, so the kill always
 * costs at least that call, which the build retries. Then it watches the plugin until a new process
 * is READY.
 *
 * <p>Thread-safe.
 */
final class KillSwitch {

  /** What happened, for the summary. */
  static final class Kill {
    final String plugin;
    final long pid;
    final long atMillis;
    final int callsInFlight;
    volatile long newPid;
    volatile long restartMillis = -1;

    Kill(String plugin, long pid, long atMillis, int callsInFlight) {
      this.plugin = plugin;
      this.pid = pid;
      this.atMillis = atMillis;
      this.callsInFlight = callsInFlight;
    }
  }

  private final long startNanos;
  private final Consumer<String> events;
  private volatile Plugin victim;
  private volatile CallStats stats;
  private volatile int afterCalls;
  private volatile Kill kill;
  private volatile Thread watcher;

  /**
   * @param startNanos when the build started, for the times it reports
   * @param events where to say what it did, as it happens
   */
  KillSwitch(long startNanos, Consumer<String> events) {
    this.startNanos = startNanos;
    this.events = events;
  }

  /** Kills {@code plugin} at its first callback after it completed {@code afterCalls} calls. */
  void arm(Plugin plugin, CallStats pluginStats, int afterCalls) {
    this.stats = pluginStats;
    this.afterCalls = afterCalls;
    this.victim = plugin;
  }

  /**
   * The kill, once its plugin is back (or given up on): waits up to {@code max} for the restart to
   * be seen, so a kill near the end of a build is reported whole. Null when there was no kill.
   */
  Kill settle(Duration max) throws InterruptedException {
    Kill k = kill;
    if (k != null) {
      watcher.join(max.toMillis()); // written before kill
    }
    return k;
  }

  /** Called by the host service at the start of every callback, with the caller's name. */
  void onCallback(String peer) {
    Plugin p = victim;
    if (p == null || kill != null || !peer.equals(p.channel().authority()) || stats.completed() < afterCalls) {
      return;
    }
    synchronized (this) {
      if (kill != null) {
        return;
      }
      long pid = p.pid();
      Kill k = new Kill(p.name(), pid, elapsedMillis(), stats.inFlight());
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      events.accept("killed plugin '" + k.plugin + "' (pid " + k.pid + ") with SIGKILL, " + k.callsInFlight
          + (k.callsInFlight == 1 ? " call" : " calls") + " in flight");
      Thread w = new Thread(() -> awaitRestart(p, k), "kill-switch-watcher");
      w.setDaemon(true);
      w.start();
      watcher = w; // before kill, which publishes both
      kill = k;
    }
  }

  private void awaitRestart(Plugin p, Kill k) {
    long deadline = System.nanoTime() + Retrier.PATIENCE.toNanos();
    while (System.nanoTime() - deadline < 0) {
      PluginState state = p.state();
      if (state == PluginState.READY && p.pid() != k.pid) {
        k.newPid = p.pid();
        k.restartMillis = elapsedMillis() - k.atMillis;
        events.accept("plugin '" + k.plugin + "' is back: restarted as pid " + k.newPid + " after " + k.restartMillis + " ms");
        return;
      }
      if (state == PluginState.FAILED || state == PluginState.STOPPED) {
        events.accept("plugin '" + k.plugin + "' did not come back: " + p.lastExit());
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  private long elapsedMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }
}
