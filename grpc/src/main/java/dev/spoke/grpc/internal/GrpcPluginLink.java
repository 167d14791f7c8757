package dev.spoke.grpc.internal;

import dev.spoke.Channel;
import dev.spoke.grpc.GrpcChannel;
import dev.spoke.host.RemoteLink;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's link to one remote plugin over gRPC: a channel of its own, and a watch on the plugin's
 * health service that says whether the plugin serves.
 *
 * <p>The watch is a {@code grpc.health.v1.Health/Watch} stream made with wait-for-ready: while there is
 * no connection it waits for one (gRPC reconnects with its back-off), and once connected the plugin's
 * answers say {@code SERVING} or not. The plugin is ready exactly while the last answer on a live watch
 * was {@code SERVING}. When the watch ends (the connection went, the plugin stopped) a new one is made.
 * When the channel cannot connect, a single health check without wait-for-ready finds out why (say,
 * "Connection refused"), so that the handle can tell. A plugin without a health service is taken as
 * serving while connected.
 *
 * <p>Thread-safe. Events reach the plugin's handle one at a time, under this link's monitor.
 */
public final class GrpcPluginLink implements RemoteLink {

  private static final Logger log = LoggerFactory.getLogger(GrpcPluginLink.class);
  /** Pause before watching again after a watch ended, so that a plugin that refuses watches is not flooded. */
  private static final long REWATCH_MILLIS = 250;
  /** Re-watches and connectivity checks: short tasks only. */
  private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "spoke-grpc-plugin-links");
    t.setDaemon(true);
    return t;
  });

  private final String pluginName;
  private final String target;
  private final ManagedChannel channel;
  private final GrpcChannel spokeChannel;
  private final Events events;
  private volatile boolean closed;

  // Guarded by this.
  private boolean ready;
  private boolean healthUnsupported;
  private ClientCall<HealthCheckRequest, HealthCheckResponse> watch;

  private GrpcPluginLink(String pluginName, String target, ManagedChannel channel, Events events) {
    this.pluginName = pluginName;
    this.target = target;
    this.channel = channel;
    this.spokeChannel = GrpcChannel.of(channel, "plugin '" + pluginName + "' at " + target);
    this.events = events;
  }

  /** Opens the link: starts connecting and watching. */
  public static GrpcPluginLink open(String pluginName, String target, ManagedChannel channel, Events events) {
    GrpcPluginLink link = new GrpcPluginLink(pluginName, target, channel, events);
    link.watchConnectivity(channel.getState(true));
    link.watchHealth();
    return link;
  }

  @Override
  public Channel channel() {
    return spokeChannel;
  }

  @Override
  public void reconnectNow() {
    channel.resetConnectBackoff();
    channel.getState(true);
  }

  @Override
  public boolean close(Duration grace) {
    closed = true;
    synchronized (this) {
      if (watch != null) {
        watch.cancel("the host let the plugin go", null);
      }
    }
    channel.shutdown();
    boolean finished = false;
    try {
      finished = channel.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
      if (!finished) {
        channel.shutdownNow();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("the channel to plugin '{}' at {} did not terminate within 5 s", pluginName, target);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      channel.shutdownNow();
    }
    return finished;
  }

  // ---------------------------------------------------------------------------------------------

  /** Watches the plugin's health; made again whenever it ends, until the link closes. */
  private void watchHealth() {
    ClientCall<HealthCheckRequest, HealthCheckResponse> call;
    synchronized (this) {
      if (closed) {
        return;
      }
      // A subscription, not a wait: it lasts as long as the link; close() cancels it.
      call = channel.newCall(HealthGrpc.getWatchMethod(), CallOptions.DEFAULT.withWaitForReady());
      watch = call;
    }
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onMessage(HealthCheckResponse message) {
        call.request(1);
        boolean serving = message.getStatus() == HealthCheckResponse.ServingStatus.SERVING;
        changed(serving, serving ? null : "plugin '" + pluginName + "' at " + target + " says " + message.getStatus());
      }

      @Override
      public void onClose(Status status, Metadata trailers) {
        if (closed) {
          return;
        }
        if (status.getCode() == Status.Code.UNIMPLEMENTED) {
          synchronized (GrpcPluginLink.this) {
            healthUnsupported = true;
          }
          log.info("plugin '{}' at {} has no health service: it counts as serving while connected", pluginName, target);
          ConnectivityState now = channel.getState(false); // from here on, watchConnectivity tells
          changed(now == ConnectivityState.READY, "plugin '" + pluginName + "' at " + target + " is " + now);
          return;
        }
        changed(false, describe(status));
        TIMER.schedule(GrpcPluginLink.this::watchHealth, REWATCH_MILLIS, TimeUnit.MILLISECONDS);
      }
    }, new Metadata());
    call.sendMessage(HealthCheckRequest.getDefaultInstance()); // the whole server
    call.halfClose();
    call.request(1);
  }

  /** Follows the channel's connectivity: to say why it cannot connect, and, without health, when it is ready. */
  private void watchConnectivity(ConnectivityState state) {
    if (closed || state == ConnectivityState.SHUTDOWN) {
      return;
    }
    boolean noHealth;
    synchronized (this) {
      noHealth = healthUnsupported;
    }
    if (noHealth) {
      changed(state == ConnectivityState.READY, state == ConnectivityState.READY ? null
          : "plugin '" + pluginName + "' at " + target + " is not connected (" + state + ")");
    }
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      findOutWhy();
    }
    channel.notifyWhenStateChanged(state, () -> watchConnectivity(channel.getState(false)));
  }

  /** One health check that fails at once without a connection, for the reason it gives. */
  private void findOutWhy() {
    ClientCall<HealthCheckRequest, HealthCheckResponse> check =
        channel.newCall(HealthGrpc.getCheckMethod(), CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
    check.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        if (!status.isOk() && !closed) {
          changed(false, describe(status));
        }
      }
    }, new Metadata());
    check.sendMessage(HealthCheckRequest.getDefaultInstance());
    check.halfClose();
    check.request(1);
  }

  /** Tells the handle of a change: ready, or not and why (again, when the reason is new). */
  private synchronized void changed(boolean nowReady, String why) {
    if (closed) {
      return;
    }
    if (nowReady) {
      if (!ready) {
        ready = true;
        events.ready();
      }
      return;
    }
    ready = false;
    events.unavailable(why);
  }

  private String describe(Status status) {
    return GrpcConversions.fromGrpcForClient(status, "plugin '" + pluginName + "' at " + target).toString();
  }

  @Override
  public String toString() {
    return "GrpcPluginLink{" + pluginName + " at " + target + "}";
  }
}
