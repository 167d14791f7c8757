package dev.spoke.host;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.SpokeVersion;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.PluginControl;
import dev.spoke.proto.control.ReadyRequest;
import dev.spoke.proto.control.ReadyResponse;
import dev.spoke.shm.HubHost;
import dev.spoke.stub.ServerCalls;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p>Thread-safe.
 */
public final class Plugin implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Plugin.class);

  private final SpokeHost host;
  private final PluginSpec spec;
  private final Object lock = new Object();
  private final CompletableFuture<PluginExit> finished = new CompletableFuture<>();
  private final Channel channel = new PluginChannel();
  private volatile PluginState state = PluginState.STARTING;
  private volatile Incarnation current;
  private volatile PluginExit lastExit;
  private volatile boolean stopRequested;
  private int restarts;
  /** Unexpected exits and failed restarts since the last process that ran stably; sets the back-off. */
  private int failuresInARow;
  private final List<StateListener> listeners = new CopyOnWriteArrayList<>();
  /** Wait-for-ready calls made while there was no ready process. */
  private final Set<PendingCall<?, ?>> waiting = new LinkedHashSet<>();

  /** Told of each change of a plugin's state. */
  @FunctionalInterface
  public interface StateListener {
    /**
     * The plugin went from {@code from} to {@code to}. Runs on the host's scheduling thread, one change
     * at a time and in order; it must return quickly (it delays restarts and deadlines while it runs).
     * {@link #pid()}, {@link #restarts()} and {@link #lastExit()} say more, but may already be past
     * this change.
     */
    void stateChanged(Plugin plugin, PluginState from, PluginState to);
  }

  /** One process of the plugin, from launch to exit. */
  private final class Incarnation {
    final HubHost.Reservation reservation;
    final Connection connection;
    final CompletableFuture<ReadyRequest> ready = new CompletableFuture<>();
    final CompletableFuture<PluginExit> exited = new CompletableFuture<>();
    volatile Process process;
    volatile PluginOutput output;
    volatile boolean stopRequested;
    /** System.nanoTime() when it became the ready process; 0 before. */
    volatile long readyNanos;

    Incarnation(HubHost.Reservation reservation, Connection connection) {
      this.reservation = reservation;
      this.connection = connection;
    }

    long pid() {
      Process p = process;
      return p == null ? 0 : p.pid();
    }
  }

  Plugin(SpokeHost host, PluginSpec spec) {
    this.host = host;
    this.spec = spec;
  }

  /** The first launch: returns once the plugin is ready, or throws saying why it is not. */
  void launch() {
    Incarnation inc;
    try {
      inc = startIncarnation();
    } catch (PluginLaunchException e) {
      settle(PluginState.FAILED);
      throw e;
    }
    if (!becomeReady(inc)) {
      stopProcess(inc, spec.shutdownGrace());
      throw new PluginLaunchException("plugin '" + name() + "' was stopped while it launched");
    }
  }

  public String name() {
    return spec.name();
  }

  public PluginSpec spec() {
    return spec;
  }

  public PluginState state() {
    return state;
  }

  /** The pid of the plugin's current process, or 0 when there is none. */
  public long pid() {
    Incarnation inc = current;
    return inc == null ? 0 : inc.pid();
  }

  /**
   * Tells {@code listener} of every later change of state: a crash ({@code READY → RESTARTING}), the new
   * process ready ({@code RESTARTING → READY}), the end ({@code FAILED}, {@code STOPPED}).
   */
  public void addStateListener(StateListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public void removeStateListener(StateListener listener) {
    listeners.remove(listener);
  }

  /** Lock held: the new state, and the listeners told in the order of the changes. */
  private void moveTo(PluginState next) {
    PluginState from = state;
    state = next;
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
    try {
      host.scheduler().execute(tell);
    } catch (RejectedExecutionException e) {
      tell.run(); // the host has shut down its scheduler: the last changes are told here
    }
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
    Incarnation inc = current;
    ReadyRequest r = inc == null ? null : inc.ready.getNow(null);
    return r == null ? List.of() : r.getServicesList();
  }

  /**
   * A channel to the plugin's services; hand it to generated stubs. The same channel across restarts.
   */
  public Channel channel() {
    return channel;
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
    Incarnation old;
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
      stopProcess(old, spec.shutdownGrace());
    }
    Incarnation inc;
    try {
      inc = startIncarnation();
    } catch (PluginLaunchException e) {
      settle(PluginState.FAILED);
      finished.complete(lastExit);
      throw e;
    }
    if (!becomeReady(inc)) {
      stopProcess(inc, spec.shutdownGrace());
      throw new IllegalStateException("plugin '" + name() + "' was stopped while it restarted");
    }
  }

  /** Stops the plugin within its shutdown grace period; see {@link #close(Duration)}. */
  @Override
  public void close() {
    close(spec.shutdownGrace());
  }

  /**
   * Stops the plugin: tells it to take no new calls (GOAWAY), lets running calls finish for up to
   * {@code grace}, then terminates the process (and its children) if it is still there. Idempotent.
   *
   * @return true if the plugin exited by itself within the grace period
   */
  public boolean close(Duration grace) {
    Incarnation inc;
    synchronized (lock) {
      if (stopRequested && (state == PluginState.STOPPED || state == PluginState.FAILED)) {
        return true;
      }
      stopRequested = true;
      inc = current;
      moveTo(PluginState.STOPPING);
      if (inc != null) {
        inc.stopRequested = true;
      }
    }
    failWaiting();
    boolean graceful = inc == null || stopProcess(inc, grace);
    settle(PluginState.STOPPED);
    finished.complete(lastExit);
    return graceful;
  }

  // ---------------------------------------------------------------------------------------------

  private Incarnation startIncarnation() {
    HubHost hub = host.hub();
    HubHost.Reservation r;
    try {
      r = hub.reservePeer(name(), true);
    } catch (IllegalStateException e) {
      throw new PluginLaunchException("cannot launch plugin '" + name() + "': " + e.getMessage());
    }
    ServiceRegistry registry = host.newRegistry();
    Connection connection = Connection.builder(r.transport())
        .registry(registry)
        .executor(host.executor())
        .localName("host")
        .attachment(this)
        .build();
    Incarnation inc = new Incarnation(r, connection);
    registry.addService(controlService(inc));
    host.track(registry);
    connection.start();

    String idle = host.config().idleStrategy().name();
    ProcessBuilder pb = new ProcessBuilder(spec.commandLine(hub.path(), r.peerId(), idle));
    pb.environment().putAll(spec.environment(hub.path(), r.peerId(), r.token(), idle));
    if (spec.workingDirectory() != null) {
      pb.directory(spec.workingDirectory().toFile());
    }
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      abandon(inc, "could not be started");
      throw new PluginLaunchException("could not start plugin '" + name() + "' (" + pb.command().get(0) + "): "
          + e.getMessage(), e);
    }
    inc.process = process;
    inc.output = new PluginOutput(name(), process);
    process.onExit().thenRun(() -> onProcessExit(inc));
    log.debug("plugin '{}' started as pid {} (peer {})", name(), process.pid(), r.peerId());
    awaitReady(inc);
    ReadyRequest ready = inc.ready.join();
    if (!ready.getSpokeVersion().equals(SpokeVersion.get())) {
      log.warn("plugin '{}' runs Spoke {} and the host {}", name(), ready.getSpokeVersion(), SpokeVersion.get());
    }
    log.info("plugin '{}' ready: pid {}, serves {}", name(), process.pid(), ready.getServicesList());
    return inc;
  }

  private void awaitReady(Incarnation inc) {
    Process process = inc.process;
    long timeoutMillis = spec.readyTimeout().toMillis();
    try {
      CompletableFuture.anyOf(inc.ready, process.onExit()).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      killTree(process);
      inc.output.awaitEnd(1000);
      abandon(inc, "did not get ready");
      throw new PluginLaunchException("plugin '" + name() + "' (pid " + process.pid() + ") did not send READY within "
          + timeoutMillis + " ms" + inc.output.describeStderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killTree(process);
      abandon(inc, "launch was interrupted");
      throw new PluginLaunchException("interrupted while launching plugin '" + name() + "'", e);
    } catch (ExecutionException e) {
      // neither future fails
    }
    if (!inc.ready.isDone()) {
      inc.output.awaitEnd(1000);
      int status = process.exitValue();
      abandon(inc, PluginExit.describeStatus(status));
      throw new PluginLaunchException("plugin '" + name() + "' (pid " + process.pid() + ") "
          + PluginExit.describeStatus(status) + " before it was ready" + inc.output.describeStderr());
    }
  }

  /** Gives up an incarnation that never got ready. */
  private void abandon(Incarnation inc, String why) {
    inc.stopRequested = true;
    inc.connection.shutdownNow(Status.UNAVAILABLE.withDescription("plugin '" + name() + "' " + why));
    host.hub().releasePeer(inc.reservation, why);
    host.untrack(inc.connection.registry());
  }

  private ServerServiceDefinition controlService(Incarnation inc) {
    return ServerServiceDefinition.builder(PluginControl.SERVICE_NAME)
        .addMethod(PluginControl.READY, ServerCalls.<ReadyRequest, ReadyResponse>asyncUnaryCall((request, response) -> {
          response.onNext(ReadyResponse.newBuilder()
              .setHostPid(ProcessHandle.current().pid())
              .setSpokeVersion(SpokeVersion.get())
              .build());
          response.onCompleted();
          inc.ready.complete(request);
        }))
        .build();
  }

  /** Runs when a process of this plugin exits, for whatever reason. */
  private void onProcessExit(Incarnation inc) {
    try {
      int status = inc.process.exitValue();
      PluginExit exit = new PluginExit(name(), inc.pid(), status, inc.stopRequested);
      String reason = exit.describe();
      lastExit = exit;
      // Decide what becomes of the plugin before its calls fail, so that a wait-for-ready call made
      // from here on waits for the next process rather than going to this dead one. A launch that
      // failed is the launching thread's to report.
      boolean unexpected = false;
      boolean restart = false;
      if (inc.ready.isDone()) {
        synchronized (lock) {
          if (current == inc && !inc.stopRequested && !stopRequested) {
            unexpected = true;
            long ready = inc.readyNanos;
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
      // Fail the calls at once; the hub then takes back the entry and every slot.
      inc.connection.shutdownNow(Status.UNAVAILABLE.withDescription(
          "plugin '" + name() + "' (pid " + inc.pid() + ") " + reason));
      host.hub().releasePeer(inc.reservation, reason);
      host.untrack(inc.connection.registry());
      inc.exited.complete(exit);
      if (!unexpected) {
        return;
      }
      log.warn("plugin '{}' (pid {}) {}{}", name(), inc.pid(), reason, inc.output.describeStderr());
      if (restart) {
        scheduleRestart();
      } else {
        failWaiting();
        finished.complete(exit);
      }
    } catch (Throwable t) {
      log.error("handling the exit of plugin '{}' failed", name(), t);
    }
  }

  private void scheduleRestart() {
    int attempt;
    int failures;
    synchronized (lock) {
      attempt = restarts;
      failures = failuresInARow;
    }
    Duration backoff = spec.restartPolicy().backoff(failures);
    log.info("plugin '{}' restarts in {} ms (restart {} of {}, failure {} in a row)", name(), backoff.toMillis(),
        attempt, spec.restartPolicy().maxRestarts(), failures);
    host.scheduler().schedule(() -> {
      synchronized (lock) {
        if (stopRequested || host.isClosing()) {
          return;
        }
      }
      try {
        Incarnation inc = startIncarnation();
        if (!becomeReady(inc)) {
          stopProcess(inc, spec.shutdownGrace());
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
          failWaiting();
          finished.complete(lastExit);
        }
      }
    }, backoff.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Makes {@code inc} the current process and lets the calls waiting for it proceed; false if the plugin
   * was stopped meanwhile, and then {@code inc} is the caller's to stop.
   */
  private boolean becomeReady(Incarnation inc) {
    List<PendingCall<?, ?>> released;
    synchronized (lock) {
      if (stopRequested) {
        inc.stopRequested = true;
        return false;
      }
      current = inc;
      inc.readyNanos = System.nanoTime();
      moveTo(PluginState.READY);
      released = new ArrayList<>(waiting);
      waiting.clear();
    }
    Channel target = inc.connection.channel();
    for (PendingCall<?, ?> call : released) {
      call.proceed(target);
    }
    return true;
  }

  /** Moves to a final state and fails the calls that were waiting for a process. */
  private void settle(PluginState finalState) {
    synchronized (lock) {
      moveTo(finalState);
    }
    failWaiting();
  }

  /** Fails every waiting call, saying what became of the plugin. */
  private void failWaiting() {
    List<PendingCall<?, ?>> failed;
    Status status;
    synchronized (lock) {
      if (waiting.isEmpty()) {
        return;
      }
      failed = new ArrayList<>(waiting);
      waiting.clear();
      status = unavailable();
    }
    for (PendingCall<?, ?> call : failed) {
      call.fail(status);
    }
  }

  /** Why there is no process to call now: the plugin's state and how its last process ended. */
  private String whyUnavailable() {
    PluginExit exit = lastExit;
    String now;
    switch (state) {
      case STARTING: now = "is starting"; break;
      case READY: now = "is ready"; break;
      case RESTARTING: now = "is restarting"; break;
      case STOPPING: now = stopRequested ? "was stopped" : "is restarting"; break;
      case STOPPED: now = "was stopped"; break;
      default: now = "has failed for good"; break;
    }
    return "plugin '" + name() + "', which " + now + (exit != null ? " (its last process " + exit.describe() + ")" : "");
  }

  private Status unavailable() {
    return Status.UNAVAILABLE.withDescription("no process of " + whyUnavailable());
  }

  /**
   * GOAWAY, wait up to {@code grace} for the process to finish its calls and exit, then terminate it.
   * Returns whether it exited by itself.
   */
  private boolean stopProcess(Incarnation inc, Duration grace) {
    Process p = inc.process;
    if (p == null) {
      return true;
    }
    inc.connection.shutdown("the host is stopping plugin '" + name() + "'");
    boolean graceful;
    try {
      // The plugin waits `grace` for its calls; give it a moment beyond that to exit.
      graceful = p.waitFor(grace.toMillis() + 1000, TimeUnit.MILLISECONDS);
      if (!graceful) {
        log.warn("plugin '{}' (pid {}) did not stop within {} ms; terminating it", name(), p.pid(), grace.toMillis());
        p.destroy();
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          killTree(p);
        }
      }
      inc.exited.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killTree(p);
      return false;
    } catch (ExecutionException | TimeoutException e) {
      log.warn("plugin '{}' (pid {}): its exit was not seen within 10 s", name(), p.pid());
      return false;
    }
    return graceful;
  }

  private static void killTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The channel stubs use: the current process's connection, or a fast failure while there is none. */
  private final class PluginChannel extends Channel {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      Incarnation inc = current;
      if (inc != null && state == PluginState.READY) {
        return inc.connection.channel().newCall(method, options);
      }
      Executor callbacks = options.getExecutor() != null ? options.getExecutor() : host.executor();
      PendingCall<ReqT, RespT> call;
      Status status;
      synchronized (lock) {
        inc = current;
        PluginState s = state;
        if (inc != null && s == PluginState.READY) {
          return inc.connection.channel().newCall(method, options);
        }
        boolean comingBack = !stopRequested && s != PluginState.FAILED && s != PluginState.STOPPED;
        if (!options.isWaitForReady() || !comingBack) {
          status = unavailable();
          call = null;
        } else {
          status = null;
          call = new PendingCall<>(method, options, callbacks, settled -> {
            synchronized (lock) {
              waiting.remove(settled);
            }
          });
          waiting.add(call);
        }
      }
      if (call == null) {
        return new FailedCall<>(status, callbacks);
      }
      call.armDeadline(host.scheduler(), () -> {
        synchronized (lock) {
          return whyUnavailable();
        }
      });
      return call;
    }

    @Override
    public String authority() {
      Incarnation inc = current;
      return inc != null ? inc.connection.remoteName() : "plugin '" + name() + "'";
    }
  }

  /** A call that ends at once with a status, without touching any transport. */
  private static final class FailedCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
    private final Status status;
    private final Executor executor;

    FailedCall(Status status, Executor executor) {
      this.status = status;
      this.executor = executor;
    }

    @Override
    public void start(Listener<RespT> listener, Metadata headers) {
      executor.execute(() -> listener.onClose(status, new Metadata()));
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void sendMessage(ReqT message) {}

    @Override
    public void halfClose() {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public boolean isReady() {
      return false;
    }
  }

  @Override
  public String toString() {
    return "Plugin{" + name() + ", " + state + ", pid " + pid() + "}";
  }
}
