package dev.spoke.peer;

import dev.spoke.BindableService;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientInterceptor;
import dev.spoke.ClientInterceptors;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.SpokeVersion;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.Connection;
import dev.spoke.internal.PluginControl;
import dev.spoke.internal.InlineExecutor;
import dev.spoke.internal.WorkerPool;
import dev.spoke.proto.control.ReadyRequest;
import dev.spoke.proto.control.ReadyResponse;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubPeer;
import dev.spoke.stub.ClientCalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin's side of Spoke: turns a plugin's {@code main} into a server.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   SpokePeer.serve(args, new MinifierService());
 * }
 * }</pre>
 *
 * or, when a service calls back into the host:
 *
 * <pre>{@code
 * SpokePeer peer = SpokePeer.attach(args);
 * peer.addService(new ImageService(SiteHostSpoke.newBlockingStub(peer.hostChannel())));
 * peer.serve();
 * }</pre>
 *
 * <p>{@link #attach} reads the launch arguments the host passed (see {@link PeerArguments}), opens and
 * validates the hub and takes the reserved peer entry. {@link #serve} tells the host the plugin is ready
 * (the READY handshake: name, pid, version, services) and serves until the host says stop or goes away,
 * then exits the process: 0 after a graceful stop (GOAWAY: no new calls, running ones get the grace
 * period to finish), {@value #EXIT_HOST_GONE} when the host died, took the plugin's entry back, or the
 * plugin left because the host wrote something it could not trust (the host's death is noticed at once
 * where the kernel has pidfds, otherwise within a heartbeat interval, 2 s by default), {@value
 * #EXIT_HUB_UNUSABLE} when the hub itself became unusable: its header stayed garbage for longer than the
 * host takes to repair it, or its file was truncated. Launch errors print one line to stderr and exit
 * {@value #EXIT_USAGE}.
 *
 * <p>By default a handler runs inline, on the thread that received its call — no hand-off, as fast as
 * a direct executor — and yet may block: a blocking call to the host hands the plugin's receive loop to
 * another thread at once, and a handler that blocks or computes outside Spoke's calls has the loop
 * taken over after {@link dev.spoke.shm.HubConfig#handOffAfter()} (500 µs by default), so other calls
 * are never held up for longer. Bind a service with an executor of your own to run it there instead.
 *
 * <p>Started with {@code --listen} instead of a hub's arguments (see {@link PeerArguments}), the same
 * main runs as a remote plugin: it serves its services over the network on that address through the
 * {@link RemoteServing} on its class path (spoke-grpc's: gRPC), {@link #hostChannel()} calls the host
 * where {@code --host-target} says, and {@link #serve} starts listening (nothing listens before the
 * services are bound), then serves until the process is told to stop (SIGTERM: running calls get the
 * shutdown grace period) and exits 0; if it cannot listen there, it says why and exits {@value
 * #EXIT_USAGE}.
 *
 * <p>Thread-safe.
 */
public final class SpokePeer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SpokePeer.class);

  /** Exit status after a graceful stop. */
  public static final int EXIT_OK = 0;
  /** Exit status when the launch arguments or the hub are unusable. */
  public static final int EXIT_USAGE = 2;
  /** Exit status when the host died or took the plugin's entry back. */
  public static final int EXIT_HOST_GONE = 3;
  /**
   * Exit status when the hub became unusable: its header kept reading garbage past the host's repair
   * (the plugin told the host why in its entry first), or its file was truncated.
   */
  public static final int EXIT_HUB_UNUSABLE = 4;

  private static final long READY_TIMEOUT_SECONDS = 30;

  private final PeerArguments arguments;
  /** The hub and the connection over it; null for a remote plugin. */
  private final HubPeer hub;
  private final WorkerPool pool;
  private final ServiceRegistry registry = new ServiceRegistry();
  private final Connection connection;
  /** A remote plugin's endpoint on the network; null for a plugin on a hub. */
  private final RemoteEndpoint remote;
  private final CompletableFuture<Integer> termination = new CompletableFuture<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  /** The channel {@link #hostChannel()} returns: the connection's, behind the interceptors given. */
  private volatile Channel hostChannel;

  private SpokePeer(PeerArguments arguments, HubPeer hub) {
    this.arguments = arguments;
    this.hub = hub;
    this.pool = WorkerPool.builder("spoke-" + arguments.pluginName()).build();
    this.connection = Connection.builder(hub.transport())
        .registry(registry)
        // Handlers run inline where their calls arrive, handed off when they block or run long.
        .executor(new InlineExecutor(pool))
        .localName("plugin '" + arguments.pluginName() + "'")
        .onGoAway(this::onGoAway)
        .build();
    this.remote = null;
    this.hostChannel = connection.channel();
    hub.onHostGone(this::onHostGone);
  }

  /** A remote plugin: serves on the network through {@code serving}. */
  private SpokePeer(PeerArguments arguments, RemoteServing serving) throws IOException {
    this.arguments = arguments;
    this.hub = null;
    this.connection = null;
    this.pool = WorkerPool.builder("spoke-" + arguments.pluginName()).build();
    try {
      this.remote = serving.start(arguments, registry, pool);
      this.hostChannel = remote.hostChannel();
    } catch (IOException | RuntimeException e) {
      pool.shutdown();
      throw e;
    }
  }

  /**
   * Attaches with the launch arguments (and environment) the host gave. On any error prints one line
   * to stderr saying what is wrong and exits the process with {@value #EXIT_USAGE}: that is what a
   * plugin's {@code main} should do when it was started wrongly.
   */
  public static SpokePeer attach(String[] args) {
    try {
      return connect(PeerArguments.parse(args));
    } catch (IllegalArgumentException | IOException e) {
      // The one place Spoke writes to stderr itself: the host shows it as the launch failure.
      System.err.println("spoke plugin: " + e.getMessage());
      System.err.flush();
      System.exit(EXIT_USAGE);
      throw new IllegalStateException("unreachable");
    }
  }

  /**
   * Attaches with parsed arguments.
   *
   * @throws IOException if the hub is missing or unusable, or the entry cannot be taken, saying why
   */
  public static SpokePeer connect(PeerArguments arguments) throws IOException {
    if (arguments.isRemote()) {
      return listen(arguments);
    }
    HubConfig config = HubConfig.builder().idleStrategy(arguments.idleStrategy()).build();
    HubPeer hub = HubPeer.attach(arguments.hubPath(), arguments.peerId(), arguments.token(), arguments.pluginName(), config);
    SpokePeer peer = new SpokePeer(arguments, hub);
    peer.connection.start();
    log.debug("plugin '{}' attached to {} as peer {}", arguments.pluginName(), arguments.hubPath(), arguments.peerId());
    return peer;
  }

  /** A remote plugin: listens where the arguments say, until a signal stops the process. */
  private static SpokePeer listen(PeerArguments arguments) throws IOException {
    Iterator<RemoteServing> found = ServiceLoader.load(RemoteServing.class, SpokePeer.class.getClassLoader()).iterator();
    if (!found.hasNext()) {
      throw new IllegalArgumentException("--listen makes a remote plugin, which needs a network transport on the class"
          + " path (spoke-grpc), and none was found");
    }
    SpokePeer peer = new SpokePeer(arguments, found.next());
    Thread onSignal = new Thread(peer::stopAtSignal, "spoke-peer-signal");
    Runtime.getRuntime().addShutdownHook(onSignal);
    return peer;
  }

  /** Attaches, serves {@code services} and exits when the host says stop: a plugin's whole {@code main}. */
  public static void serve(String[] args, BindableService... services) {
    SpokePeer peer = attach(args);
    for (BindableService s : services) {
      peer.addService(s);
    }
    peer.serve();
  }

  /**
   * Serves {@code service}, its handlers run inline where their calls arrive (see the class comment).
   * Add services before {@link #serve}.
   */
  public SpokePeer addService(BindableService service) {
    registry.addService(service);
    return this;
  }

  /** Serves {@code service} on {@code executor} ({@link dev.spoke.DirectExecutor#INSTANCE}: inline). */
  public SpokePeer addService(BindableService service, Executor executor) {
    registry.addService(service, executor);
    return this;
  }

  /** Serves a service bound by hand ({@link ServerServiceDefinition#builder}) on {@code executor}. Add services before {@link #serve}. */
  public SpokePeer addService(ServerServiceDefinition service, Executor executor) {
    registry.addService(service, executor);
    return this;
  }

  /**
   * A channel to the services the host serves; hand it to generated stubs. A remote plugin's goes to
   * {@code --host-target}. Its calls go through the interceptors given to {@link #interceptHostChannel}
   * before it was asked for.
   */
  public Channel hostChannel() {
    return hostChannel;
  }

  /**
   * Adds interceptors to the calls the plugin makes to the host: the channels {@link #hostChannel()}
   * returns from now on go through them (the last given sees each call first). Add them before making
   * stubs, as with gRPC-java's channel builder.
   */
  public synchronized SpokePeer interceptHostChannel(ClientInterceptor... interceptors) {
    hostChannel = ClientInterceptors.intercept(hostChannel, interceptors);
    return this;
  }

  /**
   * Adds interceptors to the plugin's services, those added before and after: they see each call the
   * host makes, before the interceptors a service was bound with; the last given sees each call first
   * (gRPC-java's {@code ServerBuilder.intercept}).
   */
  public SpokePeer intercept(ServerInterceptor... interceptors) {
    registry.intercept(interceptors);
    return this;
  }

  /**
   * The address a remote plugin serves on: as its arguments gave it until it is ready, then as bound
   * ({@code 127.0.0.1:41237}); null for a plugin on a hub.
   */
  public String address() {
    return remote != null ? remote.address() : null;
  }

  /** The plugin's name, as the host knows it. */
  public String name() {
    return arguments.pluginName();
  }

  /** The command-line arguments that were not Spoke's, for the plugin itself. */
  public List<String> arguments() {
    return arguments.remaining();
  }

  /**
   * Tells the host that the plugin is ready (its services are bound), and waits for the host's answer.
   *
   * <p>A remote plugin starts listening now, and hosts learn that it is ready from its transport (for
   * gRPC, the health service); the response is empty.
   *
   * @throws StatusRuntimeException if the host does not answer within 30 s or refuses
   * @throws UncheckedIOException if a remote plugin cannot listen on its address
   */
  public ReadyResponse ready() {
    if (remote != null) {
      try {
        remote.ready();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      log.info("plugin '{}' serves on {}", name(), remote.address());
      return ReadyResponse.getDefaultInstance();
    }
    ReadyRequest request = ReadyRequest.newBuilder()
        .setPluginName(arguments.pluginName())
        .setPid(ProcessHandle.current().pid())
        .setSpokeVersion(SpokeVersion.get())
        .addAllServices(registry.serviceNames())
        .addAllMethods(registry.methodNames())
        .build();
    return ClientCalls.blockingUnaryCall(connection.channel(), PluginControl.READY,
        CallOptions.DEFAULT.withDeadlineAfter(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS), request);
  }

  /**
   * Sends READY, serves until the host says stop or goes away, and exits the process with the status
   * that says which ({@value #EXIT_OK}, {@value #EXIT_HOST_GONE} or {@value #EXIT_HUB_UNUSABLE}).
   */
  public void serve() {
    int status;
    try {
      ready();
      status = awaitTermination();
    } catch (StatusRuntimeException e) {
      System.err.println("spoke plugin '" + name() + "': the host did not accept READY: " + e.getStatus());
      status = EXIT_HOST_GONE;
    } catch (UncheckedIOException e) {
      System.err.println("spoke plugin '" + name() + "': " + e.getCause().getMessage());
      status = EXIT_USAGE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      status = EXIT_HOST_GONE;
    }
    close();
    System.exit(status);
  }

  /**
   * Blocks until the host says stop (and running calls finished or the grace period passed) or goes
   * away; returns the exit status that says which. Does not exit the process.
   */
  public int awaitTermination() throws InterruptedException {
    try {
      return termination.get();
    } catch (ExecutionException e) {
      return EXIT_HOST_GONE;
    }
  }

  /** Stops at once: calls in flight fail, the entry goes back to the host. Idempotent. */
  @Override
  public void close() {
    terminate(EXIT_OK, Status.UNAVAILABLE.withDescription("plugin '" + name() + "' is stopping"));
  }

  private void onGoAway(Status why) {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    log.info("plugin '{}': the host asked it to stop ({}); finishing running calls", name(), why.getDescription());
    connection.shutdown("plugin '" + name() + "' is stopping at the host's request");
    Thread drain = new Thread(() -> {
      try {
        if (!connection.awaitDrained(arguments.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
          log.warn("plugin '{}': {} calls still running after the {} ms grace period; stopping anyway", name(),
              connection.activeCalls(), arguments.shutdownGrace().toMillis());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      terminate(EXIT_OK, Status.UNAVAILABLE.withDescription("plugin '" + name() + "' stopped at the host's request"));
    }, "spoke-peer-drain");
    drain.setDaemon(true);
    drain.start();
  }

  private void onHostGone(Status why) {
    log.warn("plugin '{}' is leaving: {}", name(), why.getDescription());
    terminate(why.getCode() == Status.Code.DATA_LOSS ? EXIT_HUB_UNUSABLE : EXIT_HOST_GONE, why);
  }

  private void terminate(int status, Status reason) {
    stopping.set(true);
    if (!termination.complete(status)) {
      return;
    }
    if (remote != null) {
      remote.shutdown(Duration.ZERO);
    } else {
      connection.shutdownNow(reason);
      hub.close();
    }
    pool.shutdown();
  }

  /**
   * A remote plugin's process is told to stop (SIGTERM, or the JVM exiting): no longer serving, no new
   * calls, running calls get the grace period; then {@link #serve} returns its exit status.
   */
  private void stopAtSignal() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    log.info("plugin '{}' is stopping; finishing running calls", name());
    if (!remote.shutdown(arguments.shutdownGrace())) {
      log.warn("plugin '{}': calls still running after the {} ms grace period were cancelled", name(),
          arguments.shutdownGrace().toMillis());
    }
    terminate(EXIT_OK, Status.UNAVAILABLE.withDescription("plugin '" + name() + "' stopped"));
  }

  @Override
  public String toString() {
    return remote != null
        ? "SpokePeer{" + name() + ", serving on " + remote.address() + "}"
        : "SpokePeer{" + name() + ", peer " + arguments.peerId() + "}";
  }
}
