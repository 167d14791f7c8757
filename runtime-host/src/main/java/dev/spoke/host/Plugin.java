package dev.spoke.host;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.ClientInterceptors;
import dev.spoke.DirectExecutor;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceConfig;
import dev.spoke.Status;
import dev.spoke.internal.ConfiguredChannel;
import dev.spoke.internal.SerializingExecutor;
import dev.spoke.proto.control.ReadyRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin the host launched: its {@link #channel()}, its state, and the means to restart or stop it.
 *
 * <p>The host watches the plugin's process. If it exits without being asked to, every call in flight
 * fails at once with {@code UNAVAILABLE} naming the plugin, its pid and how it ended; the hub takes back
 * everything the plugin held; and the plugin's {@link RestartPolicy} decides whether it is launched
 * again. The channel is the same object across restarts: stubs made from it work again once the new
 * process is ready. While there is none, calls fail fast with {@code UNAVAILABLE}, or, made {@link
 * dev.spoke.CallOptions#withWaitForReady() with wait-for-ready}, wait for the new process up to their
 * deadline; they fail at once if the plugin is down for good.
 *
 * <p>Who does what: one {@link PluginProcess} per process (launch, READY, stop); the {@link
 * PluginChannel} routes calls to the ready process or holds them; this class decides, under its lock,
 * what becomes of the plugin when a process ends. Blocking work — launching and stopping processes —
 * runs on the application's thread that asked for it or on a restart thread of the plugin's own, never
 * on the host's scheduler, which only times back-offs and wait-for-ready deadlines; state listeners run
 * on the host's event threads, in order per plugin.
 *
 * <p>A remote plugin ({@link PluginSpec#remote}) runs elsewhere and is reached through a {@link
 * RemoteLink}: its handle is the same, but the host starts and restarts no process. Its state is {@code
 * READY} while it is reachable and says it serves, {@code UNAVAILABLE} while not (its link reconnects by
 * itself), {@code STOPPED} once the host lets it go; {@link #restart()} reconnects at once; {@link
 * #pid()} is 0, {@link #lastExit()} null and {@link #services()} empty, as the host cannot see them.
 *
 * <p>Thread-safe.
 */
public final class Plugin implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Plugin.class);

  private final SpokeHost host;
  private final PluginSpec spec;
  /** Guards the state, the current process, the restart counters and the channel's waiting calls. */
  final Object lock = new Object();
  private final CompletableFuture<PluginExit> finished = new CompletableFuture<>();
  private final PluginChannel channel;
  /**
   * The channel the application gets: {@link #channel} (or a remote plugin's link, with the spec's
   * service config) behind the host's and the spec's interceptors.
   */
  private final Channel interceptedChannel;
  /** State-change notifications, in order, off the threads that change the state. */
  private final Executor events;
  private volatile PluginState state = PluginState.STARTING;
  private volatile PluginProcess current;
  private volatile PluginExit lastExit;
  private volatile boolean stopRequested;
  private final AtomicBoolean shutdownStarted = new AtomicBoolean();
  private int restarts;
  /** Unexpected exits and failed restarts since the last process that ran stably; sets the back-off. */
  private int failuresInARow;
  private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
  /** A remote plugin's link, once connected; null for a local plugin. */
  private volatile RemoteLink remote;
  /** The remote link's channel with the spec's service config; set with {@link #remote}. */
  private volatile Channel remoteChannel;
  /** Why a remote plugin was last unavailable, for errors; guarded by the lock. */
  private String remoteTrouble;

  /** Told of each change of a plugin's state. */
  @FunctionalInterface
  public interface StateListener {
    /**
     * The plugin went from {@code from} to {@code to}. Runs on one of the host's event threads, one
     * change at a time and in order for each plugin; it should return quickly (later changes of the same
     * plugin wait for it).
     * {@link #pid()}, {@link #restarts()} and {@link #lastExit()} say more, but may already be past
     * this change.
     */
    void stateChanged(Plugin plugin, PluginState from, PluginState to);
  }

  Plugin(SpokeHost host, PluginSpec spec) {
    this.host = host;
    this.spec = spec;
    this.channel = new PluginChannel(this, host);
    List<ClientInterceptor> interceptors = new ArrayList<>(host.pluginInterceptors());
    interceptors.addAll(spec.interceptors());
    this.interceptedChannel = ClientInterceptors.intercept(spec.isRemote() ? new RemoteRouting() : channel, interceptors);
    // Once the host has shut its event threads down they refuse every run: the changes still queued,
    // and each one after, are then told on the thread that made them, in order and once each.
    this.events = new SerializingExecutor(host.eventExecutor(), DirectExecutor.INSTANCE, refused -> {});
  }

  /** The first launch: returns once the plugin is ready, or throws saying why it is not. */
  void launch() {
    if (spec.isRemote()) {
      connectRemote();
      return;
    }
    PluginProcess p;
    try {
      p = startProcess();
    } catch (PluginLaunchException e) {
      settle(PluginState.FAILED);
      throw e;
    }
    if (!becomeReady(p)) {
      p.stop(spec.shutdownGrace());
      throw new PluginLaunchException("plugin '" + name() + "' was stopped while it launched");
    }
  }

  private PluginProcess startProcess() {
    spec.checkLaunchable(); // before anything is reserved: a main class that is not there fails here
    return PluginProcess.start(host, spec, this, this::onProcessExit, this::onDisconnected);
  }

  /** How long a disconnected process gets to exit by itself (it notices at once) before it is killed. */
  private static final long DISCONNECTED_EXIT_GRACE_MILLIS = 5_000;

  /**
   * The hub reclaimed {@code p}'s entry (on the hub's receive loop: must not block). If the process
   * still runs and nobody asked it to stop, the host disconnected it (it wrote something invalid, or
   * its ring broke): it exits by itself as soon as it notices, and is killed if it has not within the
   * grace period. Its exit then goes through the restart policy like any crash.
   */
  private void onDisconnected(PluginProcess p, String reason) {
    Process process = p.process;
    if (p.stopRequested || process == null || !process.isAlive()) {
      return; // an exit or a stop explains the reclaim
    }
    p.disconnectReason = reason;
    log.warn("plugin '{}' (pid {}) {}; it should exit now, and is stopped if it has not within {} ms", name(),
        process.pid(), reason, DISCONNECTED_EXIT_GRACE_MILLIS);
    try {
      host.scheduler().schedule(() -> {
        if (process.isAlive()) {
          log.warn("plugin '{}' (pid {}) did not exit after it was disconnected; killing it", name(), process.pid());
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
        }
      }, DISCONNECTED_EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      process.destroyForcibly(); // the host is closing
    }
  }

  /** The plugin's name, as its spec gives it. */
  public String name() {
    return spec.name();
  }

  /** How the plugin is launched, defaults included. */
  public PluginSpec spec() {
    return spec;
  }

  /** Where the plugin is now; {@link #addStateListener} is told of every change. */
  public PluginState state() {
    return state;
  }

  /** The pid of the plugin's current process, or 0 when there is none. */
  public long pid() {
    PluginProcess p = current;
    return p == null ? 0 : p.pid();
  }

  /** The current process if it is ready for calls, else null. */
  PluginProcess readyProcess() {
    PluginProcess p = current;
    return p != null && state == PluginState.READY ? p : null;
  }

  /** The current process, ready or not, or null. */
  PluginProcess currentProcess() {
    return current;
  }

  /** Lock held: true while a ready process may still come (the plugin is not stopped or failed). */
  boolean comingBack() {
    PluginState s = state;
    return !stopRequested && s != PluginState.FAILED && s != PluginState.STOPPED;
  }

  /**
   * Tells {@code listener} of every later change of state: a crash ({@code READY → RESTARTING}), the new
   * process ready ({@code RESTARTING → READY}), the end ({@code FAILED}, {@code STOPPED}).
   */
  public void addStateListener(StateListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Stops telling {@code listener} of changes; it may still be told of one under way. */
  public void removeStateListener(StateListener listener) {
    listeners.remove(listener);
  }

  /** Lock held: the new state, and the listeners told in the order of the changes. */
  private void moveTo(PluginState next) {
    PluginState from = state;
    state = next;
    lock.notifyAll(); // a thread may wait for a remote plugin to be ready
    if (from == next || listeners.isEmpty()) {
      return;
    }
    Runnable tell = () -> {
      for (StateListener l : listeners) {
        try {
          l.stateChanged(this, from, next);
        } catch (RuntimeException e) {
          log.warn("a state listener of plugin '{}' threw", name(), e);
        }
      }
    };
    events.execute(tell);
  }

  /** How many times the restart policy has launched the plugin again. */
  public int restarts() {
    synchronized (lock) {
      return restarts;
    }
  }

  /**
   * How many times in a row the plugin has died unasked (or failed to start again) since its last
   * process that ran for the policy's {@link RestartPolicy#stableAfter() stable period}: 0 for a plugin
   * that never crashed, growing in a crash loop. The restart back-off doubles with it.
   */
  public int failuresInARow() {
    synchronized (lock) {
      return failuresInARow;
    }
  }

  /** How the last process of the plugin ended, or null while the first one runs. */
  public PluginExit lastExit() {
    return lastExit;
  }

  /** The services the plugin said it serves when it was last ready. */
  public List<String> services() {
    PluginProcess p = current;
    ReadyRequest r = p == null ? null : p.ready.getNow(null);
    return r == null ? List.of() : r.getServicesList();
  }

  /**
   * A channel to the plugin's services; hand it to generated stubs. The same channel across restarts.
   */
  public Channel channel() {
    return interceptedChannel;
  }

  /**
   * Completes when the plugin is down for good: stopped at the host's request, or failed with no
   * restart left.
   */
  public CompletableFuture<PluginExit> onExit() {
    return finished;
  }

  /**
   * Stops the current process gracefully (as {@link #close()} does) and launches a new one; returns once
   * it is ready.
   *
   * @throws PluginLaunchException if the new process does not get ready
   */
  public void restart() {
    if (spec.isRemote()) {
      reconnectRemote();
      return;
    }
    PluginProcess old;
    synchronized (lock) {
      if (stopRequested) {
        throw new IllegalStateException("plugin '" + name() + "' was stopped");
      }
      old = current;
      moveTo(PluginState.STOPPING);
      if (old != null) {
        old.stopRequested = true;
      }
    }
    if (old != null) {
      old.stop(spec.shutdownGrace());
    }
    PluginProcess p;
    try {
      p = startProcess();
    } catch (PluginLaunchException e) {
      settle(PluginState.FAILED);
      finished.complete(lastExit);
      throw e;
    }
    if (!becomeReady(p)) {
      p.stop(spec.shutdownGrace());
      throw new IllegalStateException("plugin '" + name() + "' was stopped while it restarted");
    }
  }

  /**
   * Starts stopping the plugin, as {@link #close(Duration)} does with its shutdown grace period, and
   * returns at once: calls already running get the grace period, new ones fail with {@code UNAVAILABLE}.
   * {@link #awaitTermination} waits for the end. Idempotent.
   */
  public void shutdown() {
    if (!shutdownStarted.compareAndSet(false, true)) {
      return;
    }
    Thread stopper = new Thread(() -> {
      try {
        close(spec.shutdownGrace());
      } catch (RuntimeException e) {
        log.error("stopping plugin '{}' failed", name(), e);
      }
    }, "spoke-stop-" + name());
    stopper.setDaemon(true);
    stopper.start();
  }

  /**
   * Waits until the plugin is down for good (stopped, or failed with no restart left), at most {@code
   * timeout}.
   *
   * @return true if it is, false if the time ran out first
   */
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      finished.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // never completed exceptionally; ended all the same
    }
  }

  /** True once the plugin is down for good: stopped, or failed with no restart left. */
  public boolean isTerminated() {
    return finished.isDone();
  }

  /**
   * Stops the plugin within its shutdown grace period: {@link #shutdown()}, then {@link
   * #awaitTermination} for as long as a stop can take (the grace period, then termination of the process
   * and its children). Idempotent.
   */
  @Override
  public void close() {
    shutdown();
    long limit = stopLimit(spec.shutdownGrace()).toMillis();
    try {
      if (!awaitTermination(limit, TimeUnit.MILLISECONDS)) {
        log.warn("plugin '{}' (pid {}) did not stop within {} ms; leaving it", name(), pid(), limit);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The longest a stop with this grace period takes: the grace, a second to exit, SIGTERM, SIGKILL, the exit seen. */
  static Duration stopLimit(Duration grace) {
    return grace.plusSeconds(1 + 2 + 5 + 10 + 2);
  }

  /**
   * Stops the plugin: tells it to take no new calls (GOAWAY), lets running calls finish for up to
   * {@code grace}, then terminates the process (and its children) if it is still there. Idempotent.
   *
   * @return true if the plugin exited by itself within the grace period
   */
  public boolean close(Duration grace) {
    PluginProcess p;
    synchronized (lock) {
      if (stopRequested && (state == PluginState.STOPPED || state == PluginState.FAILED)) {
        return true;
      }
      stopRequested = true;
      p = current;
      moveTo(PluginState.STOPPING);
      if (p != null) {
        p.stopRequested = true;
      }
    }
    channel.failWaiting();
    RemoteLink link = remote;
    boolean graceful = link != null ? link.close(grace) : p == null || p.stop(grace);
    settle(PluginState.STOPPED);
    if (p != null && p.process != null) {
      PluginExit exit = lastExit;
      log.info("plugin '{}' (pid {}) stopped{}", name(), p.pid(), graceful ? ""
          : "; it was terminated after its " + grace.toMillis() + " ms grace period"
          + (exit != null ? " (" + exit.describe() + ")" : ""));
    }
    finished.complete(lastExit);
    return graceful;
  }

  /**
   * The hub is lost: no process of this plugin can be reached or launched again. Stops the current one
   * (it cannot be asked through the hub: it gets no grace period) and fails for good. Blocks while the
   * process is stopped: a thread of its own.
   */
  void hubLost() {
    PluginProcess p;
    synchronized (lock) {
      if (stopRequested) {
        return; // closed, or being closed, already
      }
      stopRequested = true;
      p = current;
      if (p != null) {
        p.stopRequested = true;
      }
      moveTo(PluginState.STOPPING);
    }
    channel.failWaiting();
    if (p != null) {
      p.stop(Duration.ZERO);
    }
    settle(PluginState.FAILED);
    finished.complete(lastExit);
  }

  // ---------------------------------------------------------------------------------------------

  /** Hands the current process's calls in flight to {@code publisher}, if there is a process. */
  void publishInspection(InspectionPublisher publisher) {
    PluginProcess p = current;
    if (p != null && !p.exited.isDone()) {
      publisher.publishCalls(p.reservation, p.connection);
    }
  }

  /** Runs when a process of this plugin exits, for whatever reason (on the JDK's process-exit thread). */
  private void onProcessExit(PluginProcess p) {
    try {
      int status = p.process.exitValue();
      PluginExit exit = new PluginExit(name(), p.pid(), status, p.stopRequested);
      String reason = exit.describe();
      lastExit = exit;
      // Decide what becomes of the plugin before its calls fail, so that a wait-for-ready call made
      // from here on waits for the next process rather than going to this dead one. A launch that
      // failed is the launching thread's to report.
      boolean unexpected = false;
      boolean restart = false;
      if (p.ready.isDone()) {
        synchronized (lock) {
          if (current == p && !p.stopRequested && !stopRequested) {
            unexpected = true;
            long ready = p.readyNanos;
            if (ready != 0 && System.nanoTime() - ready >= spec.restartPolicy().stableAfter().toNanos()) {
              failuresInARow = 0; // it ran long enough: this crash is not part of a crash loop
            }
            failuresInARow++;
            if (restarts < spec.restartPolicy().maxRestarts() && !host.isClosing()) {
              restarts++;
              moveTo(PluginState.RESTARTING);
              restart = true;
            } else {
              moveTo(PluginState.FAILED);
            }
          }
        }
      }
      // Fail the calls at once; the hub then takes back the entry and every slot. Whatever happens
      // there, the exit is known: a stop waiting for it must not wait in vain.
      try {
        p.release(reason);
      } finally {
        p.exited.complete(exit);
      }
      if (!unexpected) {
        return;
      }
      String disconnected = p.disconnectReason;
      log.warn("plugin '{}' (pid {}) {}{}{}", name(), p.pid(), reason,
          disconnected != null ? " after the host disconnected it (it " + disconnected + ")" : "", p.output.describeStderr());
      if (restart) {
        scheduleRestart();
      } else {
        channel.failWaiting();
        finished.complete(exit);
      }
    } catch (Throwable t) {
      log.error("handling the exit of plugin '{}' failed", name(), t);
    }
  }

  /**
   * Launches the next process after the policy's back-off. The scheduler only times the back-off; the
   * launch, which blocks up to the ready timeout, runs on a thread of its own, so that deadlines and
   * other plugins' restarts are never held up by it.
   */
  private void scheduleRestart() {
    int attempt;
    int failures;
    synchronized (lock) {
      attempt = restarts;
      failures = failuresInARow;
    }
    Duration backoff = spec.restartPolicy().backoff(failures);
    int max = spec.restartPolicy().maxRestarts();
    log.info("plugin '{}' restarts in {} ms (restart {}{}, failure {} in a row)", name(), backoff.toMillis(),
        attempt, max == Integer.MAX_VALUE ? "" : " of " + max, failures);
    try {
      host.scheduler().schedule(() -> {
        Thread t = new Thread(this::restartNow, "spoke-restart-" + name());
        t.setDaemon(true);
        t.start();
      }, backoff.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      settle(PluginState.FAILED); // the host is closing
      finished.complete(lastExit);
    }
  }

  /** The restart thread: one launch attempt, and what follows from it. */
  private void restartNow() {
    synchronized (lock) {
      if (stopRequested || host.isClosing()) {
        return;
      }
    }
    try {
      PluginProcess p = startProcess();
      if (!becomeReady(p)) {
        p.stop(spec.shutdownGrace());
      }
    } catch (PluginLaunchException e) {
      log.warn("restart of plugin '{}' failed: {}", name(), e.getMessage());
      boolean again;
      synchronized (lock) {
        failuresInARow++;
        again = restarts < spec.restartPolicy().maxRestarts() && !stopRequested && !host.isClosing();
        if (again) {
          restarts++;
        } else {
          moveTo(PluginState.FAILED);
        }
      }
      if (again) {
        scheduleRestart();
      } else {
        channel.failWaiting();
        finished.complete(lastExit);
      }
    }
  }

  /**
   * Makes {@code p} the current process and lets the calls waiting for it proceed; false if the plugin
   * was stopped meanwhile, and then {@code p} is the caller's to stop.
   */
  private boolean becomeReady(PluginProcess p) {
    List<PendingCall<?, ?>> released;
    synchronized (lock) {
      if (stopRequested) {
        p.stopRequested = true;
        return false;
      }
      current = p;
      p.readyNanos = System.nanoTime();
      moveTo(PluginState.READY);
      released = channel.takeWaiting();
    }
    PluginChannel.proceed(released, p);
    return true;
  }

  /** Moves to a final state and fails the calls that were waiting for a process. */
  private void settle(PluginState finalState) {
    synchronized (lock) {
      moveTo(finalState);
    }
    channel.failWaiting();
  }

  /** Why there is no process to call now: the plugin's state and how its last process ended. */
  String whyUnavailable() {
    PluginExit exit = lastExit;
    String now;
    switch (state) {
      case STARTING: now = "is starting"; break;
      case READY: now = "is ready"; break;
      case RESTARTING: now = "is restarting"; break;
      case UNAVAILABLE: now = "is unavailable"; break;
      case STOPPING: now = stopRequested ? "was stopped" : "is restarting"; break;
      case STOPPED: now = "was stopped"; break;
      default: now = "has failed for good"; break;
    }
    return "plugin '" + name() + "', which " + now + (exit != null ? " (its last process " + exit.describe() + ")" : "");
  }

  Status unavailable() {
    Status lost = host.hubLostStatus();
    if (lost != null) {
      return Status.UNAVAILABLE.withDescription("plugin '" + name() + "' cannot be called: " + lost.getDescription());
    }
    return Status.UNAVAILABLE.withDescription("no process of " + whyUnavailable());
  }

  // ---------------------------------------------------------------------------------------------
  // Remote plugins

  /** The first connection to a remote plugin: returns once it is ready, or throws saying why it is not. */
  private void connectRemote() {
    RemoteConnector connector = spec.connector() != null ? spec.connector() : host.remoteConnector(spec);
    RemoteLink link = connector.connect(name(), spec.target(), new RemoteLink.Events() {
      @Override
      public void ready() {
        remoteChanged(PluginState.READY, null);
      }

      @Override
      public void unavailable(String why) {
        remoteChanged(PluginState.UNAVAILABLE, why);
      }
    });
    ServiceConfig config = spec.serviceConfig();
    remoteChannel = config.isEmpty() ? link.channel() : new ConfiguredChannel(link.channel(), config, host.executor());
    remote = link;
    if (!awaitRemoteReady()) {
      String why;
      synchronized (lock) {
        why = remoteTrouble;
      }
      link.close(Duration.ZERO);
      settle(PluginState.FAILED);
      finished.complete(null);
      throw new PluginLaunchException("remote plugin '" + name() + "' at " + spec.target() + " was not ready within "
          + spec.readyTimeout().toMillis() + " ms" + (why != null ? ": " + why : ""));
    }
    log.info("remote plugin '{}' at {} ready", name(), spec.target());
  }

  /** restart() of a remote plugin: reconnect now, and wait for it as a launch does. */
  private void reconnectRemote() {
    synchronized (lock) {
      if (stopRequested) {
        throw new IllegalStateException("plugin '" + name() + "' was stopped");
      }
    }
    remote.reconnectNow();
    if (!awaitRemoteReady()) {
      String why;
      synchronized (lock) {
        why = remoteTrouble;
      }
      throw new PluginLaunchException("remote plugin '" + name() + "' at " + spec.target() + " was not ready within "
          + spec.readyTimeout().toMillis() + " ms of reconnecting" + (why != null ? ": " + why : ""));
    }
  }

  /** Waits up to the ready timeout for a remote plugin to be ready; false if it was not (or was stopped). */
  private boolean awaitRemoteReady() {
    long deadline = System.nanoTime() + spec.readyTimeout().toNanos();
    synchronized (lock) {
      while (state != PluginState.READY && !stopRequested) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return state == PluginState.READY;
    }
  }

  /**
   * A remote plugin's calls: to its link once connected. Before that (no handle has been handed out
   * yet) to the local routing, which fails them as for a plugin without a ready process.
   */
  private final class RemoteRouting extends Channel {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      Channel c = remoteChannel;
      return c != null ? c.newCall(method, options) : channel.newCall(method, options);
    }

    @Override
    public String authority() {
      Channel c = remoteChannel;
      return c != null ? c.authority() : channel.authority();
    }
  }

  /** A remote plugin's link says it is ready, or not; before its first READY it is still STARTING. */
  private void remoteChanged(PluginState next, String why) {
    synchronized (lock) {
      if (why != null) {
        remoteTrouble = why;
      }
      if (stopRequested || (next == PluginState.UNAVAILABLE && state == PluginState.STARTING)) {
        return;
      }
      if (next == PluginState.UNAVAILABLE && state == PluginState.READY) {
        log.warn("remote plugin '{}' is unavailable: {}", name(), why);
      } else if (next == PluginState.READY && state == PluginState.UNAVAILABLE) {
        log.info("remote plugin '{}' at {} is ready again", name(), spec.target());
      }
      moveTo(next);
    }
  }

  @Override
  public String toString() {
    return "Plugin{" + name() + ", " + state + ", pid " + pid() + "}";
  }
}
