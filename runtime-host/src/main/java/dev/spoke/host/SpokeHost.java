package dev.spoke.host;

import dev.spoke.BindableService;
import dev.spoke.ClientInterceptor;
import dev.spoke.DirectExecutor;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServerInterceptors;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerMethodDefinition;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.InlineExecutor;
import dev.spoke.internal.LaneExecutor;
import dev.spoke.internal.PluginControl;
import dev.spoke.internal.WorkerPool;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubHost;
import dev.spoke.shm.HubSnapshot;
import dev.spoke.shm.IdleStrategy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Iterator;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The application's side of Spoke: creates the hub, launches plugin processes and supervises them,
 * and serves the host's own services to every plugin.
 *
 * <pre>{@code
 * try (SpokeHost host = SpokeHost.builder().addService(new SiteHostService()).build()) {
 *   Plugin minifier = host.launch(PluginSpec.java("minifier", MinifierPlugin.class).build());
 *   MinifierSpoke.MinifierBlockingStub stub = MinifierSpoke.newBlockingStub(minifier.channel());
 *   ...
 * }
 * }</pre>
 *
 * <p>A plugin may also run elsewhere and serve over the network ({@link PluginSpec#remote}); the host
 * connects to it and hands out the same {@link Plugin} handle. For such plugins to call the host back,
 * the host's services can be served over the network too ({@link #hostServices()}); the host itself
 * never listens on a network.
 *
 * <p>{@link #close()} stops every plugin gracefully (GOAWAY, their grace period, then termination),
 * closes the hub and removes its file. A JVM shutdown hook does the same if the application exits
 * without closing the host.
 *
 * <p>If the hub is lost (only a hub in a plain file can be: another process truncated, removed or
 * replaced it), every plugin is stopped and fails for good, and every call fails with {@code
 * UNAVAILABLE} saying what happened to the hub; close the host and build a new one.
 *
 * <p>Thread-safe.
 */
public final class SpokeHost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(SpokeHost.class);

  /** The default of {@link Builder#maxCallsPerPlugin}. */
  public static final int DEFAULT_MAX_CALLS_PER_PLUGIN = 1024;

  private final HubConfig config;
  private final HubHost hub;
  private final Executor executor;
  private final WorkerPool ownPool;
  /** Times restart back-offs and wait-for-ready deadlines; runs only short, non-blocking tasks. */
  private final ScheduledExecutorService scheduler;
  /** Runs plugins' state listeners (each plugin's in order, through a serializing executor). */
  private final WorkerPool events;
  private final List<Bound> hostServices = new CopyOnWriteArrayList<>();
  /** Interceptors of the host's services (not of its control service). */
  private final List<ServerInterceptor> serverInterceptors;
  /** Interceptors of every plugin's channel, before the plugin's own. */
  private final List<ClientInterceptor> pluginInterceptors;
  private final Set<ServiceRegistry> liveRegistries = ConcurrentHashMap.newKeySet();
  private final List<Plugin> plugins = new CopyOnWriteArrayList<>();
  private final int maxCallsPerPlugin;
  private final InspectionPublisher inspection;
  private final Thread shutdownHook;
  private final CompletableFuture<Void> terminated = new CompletableFuture<>();
  private volatile boolean closing;
  /** The host's services for other transports, made on first use; guarded by this. */
  private ServiceRegistry exported;

  private SpokeHost(Builder b) throws IOException {
    this.config = b.config.toBuilder().idleStrategy(b.idleStrategy != null ? b.idleStrategy : b.config.idleStrategy()).build();
    this.maxCallsPerPlugin = b.maxCallsPerPlugin;
    this.serverInterceptors = List.copyOf(b.serverInterceptors);
    this.pluginInterceptors = List.copyOf(b.pluginInterceptors);
    for (Bound bound : b.services) {
      this.hostServices.add(new Bound(ServerInterceptors.intercept(bound.service, serverInterceptors), bound.executor));
    }
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownPool = null;
    } else {
      this.ownPool = WorkerPool.builder("spoke-host").build();
      this.executor = ownPool;
    }
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "spoke-host-timer");
      t.setDaemon(true);
      return t;
    });
    this.events = WorkerPool.builder("spoke-host-events").build();
    this.hub = HubHost.create(config);
    hub.onHubLost(this::hubLost);
    this.inspection = new InspectionPublisher(hub.inspection(), this::plugins);
    publishHostNames();
    this.inspection.start();
    this.shutdownHook = new Thread(this::closeFromHook, "spoke-host-shutdown");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** A builder of a host with the default hub configuration and no services of its own yet. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Launches a plugin and waits until it is ready; for a {@link PluginSpec#remote remote} plugin, connects
   * to it and waits until it is reachable and says it serves.
   *
   * @throws PluginLaunchException if its process cannot start, exits first, or never says READY in
   *     time; the message has its exit status and last stderr lines. A remote plugin: if it is not ready
   *     within its ready timeout, saying why (its address and what the connection found)
   */
  public Plugin launch(PluginSpec spec) {
    if (closing) {
      throw new IllegalStateException("the host is closing");
    }
    Plugin plugin = new Plugin(this, spec);
    plugin.launch();
    plugins.add(plugin);
    return plugin;
  }

  /** Serves {@code service} to every plugin, those running and those launched later. */
  public SpokeHost addService(BindableService service) {
    return addService(service.bindService(), null);
  }

  /** Serves {@code service} on {@code executor} to every plugin. */
  public SpokeHost addService(ServerServiceDefinition service, Executor serviceExecutor) {
    Bound b = new Bound(ServerInterceptors.intercept(service, serverInterceptors), serviceExecutor);
    hostServices.add(b);
    for (ServiceRegistry r : liveRegistries) {
      r.addService(b.service, serviceExecutor);
    }
    publishHostNames();
    return this;
  }

  /** The names of the host's methods, plugin control included, for spoke-inspect. */
  private void publishHostNames() {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    for (Bound b : hostServices) {
      for (ServerMethodDefinition<?, ?> m : b.service.getMethods()) {
        methods.add(m.getMethodDescriptor());
      }
    }
    methods.add(PluginControl.READY);
    inspection.publishHostNames(methods);
  }

  InspectionPublisher inspectionPublisher() {
    return inspection;
  }

  /** The plugins launched and not yet closed. */
  public List<Plugin> plugins() {
    List<Plugin> out = new ArrayList<>();
    for (Plugin p : plugins) {
      if (p.state() != PluginState.STOPPED) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The plugin that made the call whose host-service callback runs on this thread, or null when the
   * thread serves no call of this host's plugins. For host services that answer each plugin
   * differently. Null as well for calls that came over a network transport ({@link #hostServices()}).
   */
  public Plugin caller() {
    Connection c = Connection.ofCurrentCall();
    Object a = c == null ? null : c.attachment();
    return a instanceof Plugin && plugins.contains(a) ? (Plugin) a : null;
  }

  /**
   * The host's services as one registry that follows {@link #addService}, for serving them over a
   * network transport as well, so that {@link PluginSpec#remote remote} plugins can call the host back:
   * with spoke-grpc, {@code GrpcServer.builder("127.0.0.1:7444").registry(host.hostServices()).start()}.
   * The same registry on every call.
   */
  public synchronized ServiceRegistry hostServices() {
    if (exported == null) {
      exported = newRegistry();
      track(exported);
    }
    return exported;
  }

  /** The connector for a remote plugin whose spec names none: the one on the class path. */
  RemoteConnector remoteConnector(PluginSpec spec) {
    Iterator<RemoteConnector> found = ServiceLoader.load(RemoteConnector.class, SpokeHost.class.getClassLoader()).iterator();
    if (!found.hasNext()) {
      throw new PluginLaunchException("plugin '" + spec.name() + "' is remote (" + spec.target() + ") and no connector"
          + " was given or found on the class path: add spoke-grpc, or give PluginSpec.remote(...).connector(...)");
    }
    return found.next();
  }

  /** The hub's file. */
  public Path hubPath() {
    return hub.path();
  }

  /** A picture of the hub: plugins, rings, slot usage. */
  public HubSnapshot snapshot() {
    return hub.snapshot();
  }

  /** The configuration the hub was created with. */
  public HubConfig config() {
    return config;
  }

  /**
   * Starts stopping the host and returns at once: every plugin is stopped in parallel, each within its
   * shutdown grace period (GOAWAY, running calls finish, then the process is terminated if it is still
   * there), then the hub is closed and its file removed. New launches are refused from now on. {@link
   * #awaitTermination} waits for the end. Idempotent.
   */
  public void shutdown() {
    synchronized (this) {
      if (closing) {
        return;
      }
      closing = true;
    }
    Thread stopper = new Thread(this::stopEverything, "spoke-host-shutdown");
    stopper.setDaemon(true);
    stopper.start();
  }

  /**
   * Waits until a {@link #shutdown()} finished: every plugin stopped, the hub closed and its file gone;
   * at most {@code timeout}.
   *
   * @return true if it finished, false if the time ran out first
   */
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    try {
      terminated.get(timeout, unit);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return true; // stopEverything never completes it exceptionally
    }
  }

  /** True once a {@link #shutdown()} finished. */
  public boolean isTerminated() {
    return terminated.isDone();
  }

  /**
   * Stops every plugin (in parallel, each within its grace period), closes the hub and removes its
   * file: {@link #shutdown()}, then {@link #awaitTermination} for as long as the slowest plugin's stop
   * can take. Idempotent.
   */
  @Override
  public void close() {
    shutdownAndWait();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
  }

  private void closeFromHook() {
    if (!closing) {
      log.info("the JVM is exiting without closing the host; stopping its plugins");
      shutdownAndWait();
    }
  }

  private void shutdownAndWait() {
    shutdown();
    Duration longest = Duration.ZERO;
    for (Plugin p : plugins) {
      Duration limit = Plugin.stopLimit(p.spec().shutdownGrace());
      longest = limit.compareTo(longest) > 0 ? limit : longest;
    }
    long millis = longest.plusSeconds(5).toMillis(); // and the hub's own close
    try {
      if (!awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        log.warn("the host did not finish stopping its plugins and closing the hub {} within {} ms", hub.path(), millis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The shutdown thread: stops the plugins in parallel, then closes the hub. */
  private void stopEverything() {
    try {
      for (Plugin p : plugins) {
        p.shutdown();
      }
      for (Plugin p : plugins) {
        long limit = Plugin.stopLimit(p.spec().shutdownGrace()).toMillis();
        if (!p.awaitTermination(limit, TimeUnit.MILLISECONDS)) {
          log.warn("plugin '{}' did not stop within {} ms; closing the hub anyway", p.name(), limit);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        inspection.stop();
        hub.close();
        scheduler.shutdownNow();
        events.shutdown();
        if (ownPool != null) {
          ownPool.shutdown();
        }
      } finally {
        terminated.complete(null);
      }
    }
  }

  boolean isClosing() {
    return closing;
  }

  /** Why the hub was lost, or null while it works. */
  Status hubLostStatus() {
    return hub.lostStatus();
  }

  /**
   * The hub is lost (on the thread that found out, which must not block): no plugin can be reached or
   * launched again; each is stopped on a thread of its own.
   */
  private void hubLost(Status why) {
    for (Plugin p : plugins) {
      Thread t = new Thread(() -> p.hubLost(), "spoke-stop-" + p.name());
      t.setDaemon(true);
      t.start();
    }
  }

  HubHost hub() {
    return hub;
  }

  Executor executor() {
    return executor;
  }

  /**
   * The executor one plugin's calls and callbacks run on: its own lane into the host's executor, so
   * a plugin that floods the host queues behind itself, not in front of the others (see {@link
   * LaneExecutor}). A direct executor is used as it is.
   */
  Executor laneForPlugin() {
    if (executor == DirectExecutor.INSTANCE) {
      return executor;
    }
    Executor lane = new LaneExecutor(executor, Math.max(2, Runtime.getRuntime().availableProcessors()));
    // The host's own pool (the default): handlers and callbacks run inline where their frames arrive,
    // handed off only when they block or run long (see InlineExecutor); work from other threads goes
    // through the lane. An executor the application chose is used as it is.
    return ownPool != null ? new InlineExecutor(lane) : lane;
  }

  int maxCallsPerPlugin() {
    return maxCallsPerPlugin;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  Executor eventExecutor() {
    return events;
  }

  /** The interceptors every plugin's channel has before its own. */
  List<ClientInterceptor> pluginInterceptors() {
    return pluginInterceptors;
  }

  /** A registry holding every host service, for one plugin connection. */
  ServiceRegistry newRegistry() {
    ServiceRegistry r = new ServiceRegistry();
    for (Bound b : hostServices) {
      r.addService(b.service, b.executor);
    }
    return r;
  }

  void track(ServiceRegistry registry) {
    liveRegistries.add(registry);
  }

  void untrack(ServiceRegistry registry) {
    liveRegistries.remove(registry);
  }

  private static final class Bound {
    final ServerServiceDefinition service;
    final Executor executor;

    Bound(ServerServiceDefinition service, Executor executor) {
      this.service = service;
      this.executor = executor;
    }
  }

  @Override
  public String toString() {
    return "SpokeHost{" + hub.path() + ", " + plugins().size() + " plugins}";
  }

  /** Configures a {@link SpokeHost}. */
  public static final class Builder {
    private HubConfig config = HubConfig.defaults();
    private IdleStrategy idleStrategy;
    private Executor executor;
    private int maxCallsPerPlugin = DEFAULT_MAX_CALLS_PER_PLUGIN;
    private final List<Bound> services = new ArrayList<>();
    private final List<ServerInterceptor> serverInterceptors = new ArrayList<>();
    private final List<ClientInterceptor> pluginInterceptors = new ArrayList<>();

    private Builder() {}

    /**
     * Interceptors of every host service, bound before or after: they see each call a plugin makes to
     * the host, before the interceptors a service was bound with; the last given sees each call first
     * (gRPC-java's {@code ServerBuilder.intercept}). The host's own control service is not intercepted.
     */
    public Builder intercept(ServerInterceptor... interceptors) {
      for (ServerInterceptor i : interceptors) {
        serverInterceptors.add(Objects.requireNonNull(i, "interceptor"));
      }
      return this;
    }

    /**
     * Interceptors of every plugin's {@code channel()}: they see each call the host makes to a plugin,
     * after the plugin's own ({@link PluginSpec.Builder#intercept}); the last given sees each call first.
     */
    public Builder interceptPluginChannels(ClientInterceptor... interceptors) {
      for (ClientInterceptor i : interceptors) {
        pluginInterceptors.add(Objects.requireNonNull(i, "interceptor"));
      }
      return this;
    }

    /** The hub's shape and timings. Default: {@link HubConfig#defaults()}. */
    public Builder hubConfig(HubConfig hubConfig) {
      this.config = Objects.requireNonNull(hubConfig, "hubConfig");
      return this;
    }

    /**
     * How the host's and its plugins' receive threads wait. Default: BALANCED. A process that may use one
     * processor only parks its loops as soon as they are idle, whatever the strategy (see {@link
     * IdleStrategy}).
     */
    public Builder idleStrategy(IdleStrategy strategy) {
      this.idleStrategy = strategy;
      return this;
    }

    /**
     * The executor for host services and call callbacks. Default: they run inline where their frames
     * arrive, handed off to a worker pool of the host's when they block or run long (the plugins'
     * default too; see {@link dev.spoke.shm.HubConfig#handOffAfter()}).
     */
    public Builder executor(Executor callExecutor) {
      this.executor = callExecutor;
      return this;
    }

    /**
     * The most calls one plugin may have in flight to the host at once; a call beyond it is refused at
     * once with {@code RESOURCE_EXHAUSTED} saying so, so a plugin that floods the host is held to its
     * share. Default {@value SpokeHost#DEFAULT_MAX_CALLS_PER_PLUGIN}.
     */
    public Builder maxCallsPerPlugin(int limit) {
      if (limit < 1) {
        throw new IllegalArgumentException("maxCallsPerPlugin must be positive, got " + limit);
      }
      this.maxCallsPerPlugin = limit;
      return this;
    }

    /** A service the host serves to every plugin (a callback). */
    public Builder addService(BindableService service) {
      services.add(new Bound(service.bindService(), null));
      return this;
    }

    /** A service the host serves to every plugin, on {@code serviceExecutor}. */
    public Builder addService(BindableService service, Executor serviceExecutor) {
      services.add(new Bound(service.bindService(), serviceExecutor));
      return this;
    }

    /**
     * Creates the hub (removing hubs left by hosts that died) and installs a shutdown hook.
     *
     * @throws IOException if the hub file cannot be created
     */
    public SpokeHost build() throws IOException {
      return new SpokeHost(this);
    }
  }
}
