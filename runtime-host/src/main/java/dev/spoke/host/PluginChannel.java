package dev.spoke.host;

import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.internal.ConfiguredChannel;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The channel stubs use to call a plugin, the same object across its restarts: a call goes to the
 * current ready process's connection; while there is none, it fails fast with {@code UNAVAILABLE}, or,
 * made with wait-for-ready, waits (a {@link PendingCall}) until {@link #release} hands it a ready process
 * or {@link #failWaiting} says the plugin is down for good.
 *
 * <p>Calls that may be made again — wait-for-ready calls, and calls with a retry policy in the spec's
 * {@link dev.spoke.ServiceConfig} — go through a retrying call on top of this routing, so that one that
 * met a process that died before reading it (it did not run) reaches the next process. Every other call
 * is routed directly, at no cost.
 *
 * <p>Thread-safe. The waiting calls are guarded by the plugin's lock, together with its state, so that a
 * call that decides to wait is never missed by the process that becomes ready at that moment.
 */
final class PluginChannel extends Channel {

  private final Plugin plugin;
  private final SpokeHost host;
  /** Wait-for-ready calls made while there was no ready process; guarded by the plugin's lock. */
  private final Set<PendingCall<?, ?>> waiting = new LinkedHashSet<>();

  /** The routing below the retries. */
  private final Channel routing = new Channel() {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      return route(method, options);
    }

    @Override
    public String authority() {
      return PluginChannel.this.authority();
    }
  };
  private final ConfiguredChannel configured;
  private final boolean hasConfig;

  PluginChannel(Plugin plugin, SpokeHost host) {
    this.plugin = plugin;
    this.host = host;
    this.configured = new ConfiguredChannel(routing, plugin.spec().serviceConfig(), host.executor());
    this.hasConfig = !plugin.spec().serviceConfig().isEmpty();
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    if (hasConfig || options.isWaitForReady()) {
      return configured.newCall(method, options);
    }
    return route(method, options);
  }

  /** To the ready process, or held for one, or failed. */
  private <ReqT, RespT> ClientCall<ReqT, RespT> route(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    PluginProcess ready = plugin.readyProcess();
    if (ready != null && !(options.isWaitForReady() && ready.connection.closedStatus() != null)) {
      return ready.connection.channel().newCall(method, options);
    }
    Executor callbacks = options.getExecutor() != null ? options.getExecutor() : host.executor();
    PendingCall<ReqT, RespT> call;
    Status status;
    synchronized (plugin.lock) {
      ready = plugin.readyProcess();
      // A wait-for-ready call does not go to a process whose connection closed (it died, and the host
      // has not moved on yet): it waits for the next one.
      if (ready != null && !(options.isWaitForReady() && ready.connection.closedStatus() != null)) {
        return ready.connection.channel().newCall(method, options);
      }
      if (!options.isWaitForReady() || !plugin.comingBack()) {
        status = plugin.unavailable();
        call = null;
      } else {
        status = null;
        call = new PendingCall<>(method, options, callbacks, settled -> {
          synchronized (plugin.lock) {
            waiting.remove(settled);
          }
        });
        waiting.add(call);
      }
    }
    if (call == null) {
      return new FailedCall<>(status, callbacks);
    }
    // The scheduler runs only short, non-blocking tasks: a deadline fires on time.
    call.armDeadline(host.scheduler(), () -> {
      synchronized (plugin.lock) {
        return plugin.whyUnavailable();
      }
    });
    return call;
  }

  /** Plugin lock held: takes every waiting call, for {@link #proceed} once the lock is let go. */
  List<PendingCall<?, ?>> takeWaiting() {
    assert Thread.holdsLock(plugin.lock);
    List<PendingCall<?, ?>> taken = new ArrayList<>(waiting);
    waiting.clear();
    return taken;
  }

  /** Sends the calls taken by {@link #takeWaiting} to {@code process}. Without the plugin's lock. */
  static void proceed(List<PendingCall<?, ?>> calls, PluginProcess process) {
    Channel target = process.connection.channel();
    for (PendingCall<?, ?> call : calls) {
      call.proceed(target);
    }
  }

  /** Fails every waiting call, saying what became of the plugin. */
  void failWaiting() {
    List<PendingCall<?, ?>> failed;
    Status status;
    synchronized (plugin.lock) {
      if (waiting.isEmpty()) {
        return;
      }
      failed = takeWaiting();
      status = plugin.unavailable();
    }
    for (PendingCall<?, ?> call : failed) {
      call.fail(status);
    }
  }

  @Override
  public String authority() {
    PluginProcess p = plugin.currentProcess();
    return p != null ? p.connection.remoteName() : "plugin '" + plugin.name() + "'";
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
      // It never reached a process: it did not run.
      executor.execute(() -> listener.onClose(status, CallNotRun.mark(new Metadata(), CallNotRun.NOT_SENT)));
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
}
