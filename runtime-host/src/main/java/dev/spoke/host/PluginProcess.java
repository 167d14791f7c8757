package dev.spoke.host;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process of a plugin, from launch to exit: its peer entry in the hub, its connection, the OS
 * process and its output.
 *
 * <p>Threads: {@link #start} and {@link #stop} run on the plugin's lifecycle thread (the application's
 * thread in {@code launch}, {@code restart} and {@code close}, or the plugin's restart thread) and may
 * block for the ready timeout or the grace period; they never run on the host's scheduler. The exit is
 * reported once, on the JDK's process-exit thread, to the callback given at start.
 *
 * <p>Thread-safe.
 */
final class PluginProcess {

  private static final Logger log = LoggerFactory.getLogger(PluginProcess.class);
  /** How long an exit waits for the hub's reclaim before it fails the process's calls without it. */
  private static final long RECLAIM_WAIT_MILLIS = 2_000;

  private final String name;
  final HubHost.Reservation reservation;
  final Connection connection;
  /** Completes with the plugin's READY request. */
  final CompletableFuture<ReadyRequest> ready = new CompletableFuture<>();
  /** Completes once the process's exit was handled. */
  final CompletableFuture<PluginExit> exited = new CompletableFuture<>();
  private final SpokeHost host;
  volatile Process process;
  volatile PluginOutput output;
  /** The host asked this process to stop (its exit is not a crash). */
  volatile boolean stopRequested;
  /** System.nanoTime() when it became the plugin's ready process; 0 before. */
  volatile long readyNanos;
  /** Why the host disconnected this process while it ran (it then exits by itself), or null. */
  volatile String disconnectReason;

  private PluginProcess(SpokeHost host, String name, HubHost.Reservation reservation, Connection connection) {
    this.host = host;
    this.name = name;
    this.reservation = reservation;
    this.connection = connection;
  }

  /**
   * Reserves a peer entry, starts the process and waits until it says READY.
   *
   * @param attachment what the connection is known as (the {@link Plugin}), for {@code SpokeHost.caller()}
   * @param onExit told once when the process exits, whatever way
   * @param onDisconnected told, on the hub's receive loop (it must not block), when the hub reclaimed
   *     the process's peer entry, whatever the reason, with that reason
   * @throws PluginLaunchException if it cannot start, exits first, or is not ready in time; what was
   *     started is stopped and released first
   */
  static PluginProcess start(SpokeHost host, PluginSpec spec, Object attachment, Consumer<PluginProcess> onExit,
      java.util.function.BiConsumer<PluginProcess, String> onDisconnected) {
    String name = spec.name();
    HubHost hub = host.hub();
    HubHost.Reservation r;
    try {
      r = hub.reservePeer(name, true);
    } catch (IllegalStateException e) {
      throw new PluginLaunchException("cannot launch plugin '" + name + "': " + e.getMessage());
    }
    ServiceRegistry registry = host.newRegistry();
    Connection connection = Connection.builder(r.transport())
        .registry(registry)
        .executor(host.laneForPlugin())
        .maxIncomingCalls(host.maxCallsPerPlugin(), "SpokeHost.Builder.maxCallsPerPlugin")
        .localName("host")
        .attachment(attachment)
        .build();
    PluginProcess p = new PluginProcess(host, name, r, connection);
    r.transport().reclaimed().thenAccept(reason -> onDisconnected.accept(p, reason));
    registry.addService(p.controlService());
    host.track(registry);
    connection.start();

    String idle = host.config().idleStrategy().name();
    // The path that leads to the hub itself, whatever becomes of its name in the hub directory.
    ProcessBuilder pb = new ProcessBuilder(spec.commandLine(hub.attachPath(), r.peerId(), idle));
    pb.environment().putAll(spec.environment(hub.attachPath(), r.peerId(), r.token(), idle));
    if (spec.workingDirectory() != null) {
      pb.directory(spec.workingDirectory().toFile());
    }
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      p.abandon("could not be started");
      throw new PluginLaunchException("could not start plugin '" + name + "' (" + pb.command().get(0) + "): "
          + e.getMessage(), e);
    }
    p.process = process;
    p.output = new PluginOutput(name, process);
    process.onExit().thenRun(() -> onExit.accept(p));
    log.debug("plugin '{}' started as pid {} (peer {})", name, process.pid(), r.peerId());
    p.awaitReady(spec.readyTimeout());
    ReadyRequest ready = p.ready.join();
    if (!ready.getSpokeVersion().equals(SpokeVersion.get())) {
      log.warn("plugin '{}' runs Spoke {} and the host {}", name, ready.getSpokeVersion(), SpokeVersion.get());
    }
    log.info("plugin '{}' ready: pid {}, serves {}", name, process.pid(), ready.getServicesList());
    host.inspectionPublisher().publishPluginNames(r, ready);
    return p;
  }

  long pid() {
    Process p = process;
    return p == null ? 0 : p.pid();
  }

  private void awaitReady(Duration readyTimeout) {
    Process p = process;
    long timeoutMillis = readyTimeout.toMillis();
    try {
      CompletableFuture.anyOf(ready, p.onExit()).get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      killTree(p);
      output.awaitEnd(1000);
      abandon("did not get ready");
      throw new PluginLaunchException("plugin '" + name + "' (pid " + p.pid() + ") did not send READY within "
          + timeoutMillis + " ms" + output.describeStderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killTree(p);
      abandon("launch was interrupted");
      throw new PluginLaunchException("interrupted while launching plugin '" + name + "'", e);
    } catch (ExecutionException e) {
      // neither future fails
    }
    if (!ready.isDone()) {
      output.awaitEnd(1000);
      int status = p.exitValue();
      abandon(PluginExit.describeStatus(status));
      throw new PluginLaunchException("plugin '" + name + "' (pid " + p.pid() + ") "
          + PluginExit.describeStatus(status) + " before it was ready" + output.describeStderr());
    }
  }

  /** Gives up a process that never got ready: its calls fail, its entry and slots go back. */
  void abandon(String why) {
    stopRequested = true;
    connection.shutdownNow(Status.UNAVAILABLE.withDescription("plugin '" + name + "' " + why));
    host.hub().releasePeer(reservation, why);
    host.untrack(connection.registry());
  }

  /**
   * After the process exited: gives its entry back and fails its calls with {@code reason}. Once.
   *
   * <p>The hub's reclaim goes first, because it closes the connection saying which calls the process
   * never took off its ring: those end as calls that did not run, which a wait-for-ready call makes
   * again on the next process (the window between a crash and the host noticing it). Its wait is
   * bounded: if the reclaim is held up (a caller thread holds the ring), the calls fail now as calls
   * that may have run.
   */
  void release(String reason) {
    CompletableFuture<Void> reclaimed = host.hub().releaseExitedPeer(reservation, reason);
    try {
      reclaimed.get(RECLAIM_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("plugin '{}' (pid {}): its reclaim did not finish within {} ms; failing its calls without it",
          name, pid(), RECLAIM_WAIT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      log.warn("plugin '{}': its reclaim failed", name, e.getCause());
    }
    connection.shutdownNow(Status.UNAVAILABLE.withDescription("plugin '" + name + "' (pid " + pid() + ") " + reason));
    host.untrack(connection.registry());
  }

  private ServerServiceDefinition controlService() {
    return ServerServiceDefinition.builder(PluginControl.SERVICE_NAME)
        .addMethod(PluginControl.READY, ServerCalls.<ReadyRequest, ReadyResponse>asyncUnaryCall((request, response) -> {
          response.onNext(ReadyResponse.newBuilder()
              .setHostPid(ProcessHandle.current().pid())
              .setSpokeVersion(SpokeVersion.get())
              .build());
          response.onCompleted();
          ready.complete(request);
        }))
        .build();
  }

  /**
   * GOAWAY, wait up to {@code grace} for the process to finish its calls and exit, then terminate it.
   * Returns whether it exited by itself. Blocks: the lifecycle thread only.
   */
  boolean stop(Duration grace) {
    Process p = process;
    if (p == null) {
      return true;
    }
    connection.shutdown("the host is stopping plugin '" + name + "'");
    boolean graceful;
    try {
      // The plugin waits `grace` for its calls; give it a moment beyond that to exit.
      graceful = p.waitFor(grace.toMillis() + 1000, TimeUnit.MILLISECONDS);
      if (!graceful) {
        log.warn("plugin '{}' (pid {}) did not stop within {} ms; terminating it", name, p.pid(), grace.toMillis());
        p.destroy();
        if (!p.waitFor(2, TimeUnit.SECONDS)) {
          killTree(p);
        }
      }
      exited.get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killTree(p);
      return false;
    } catch (ExecutionException | TimeoutException e) {
      log.warn("plugin '{}' (pid {}): its exit was not seen within 10 s", name, p.pid());
      return false;
    }
    return graceful;
  }

  static void killTree(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "PluginProcess{" + name + ", pid " + pid() + ", peer " + reservation.peerId() + "}";
  }
}
