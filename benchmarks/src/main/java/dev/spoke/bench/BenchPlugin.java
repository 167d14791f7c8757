package dev.spoke.bench;

import dev.spoke.BindableService;
import dev.spoke.DirectExecutor;
import dev.spoke.peer.SpokePeer;

/**
 * The plugin every Spoke benchmark launches: serves Echo, inline on the receive thread when its last
 * argument is {@code direct} (the fast path), on the plugin's worker pool otherwise (the default).
 */
public final class BenchPlugin {

  private BenchPlugin() {}

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    if (peer.arguments().contains("direct")) {
      peer.addService(new EchoServices.Spoke(), DirectExecutor.INSTANCE);
      peer.addService((BindableService) EchoServices::rawEcho, DirectExecutor.INSTANCE);
    } else {
      peer.addService(new EchoServices.Spoke());
      peer.addService((BindableService) EchoServices::rawEcho);
    }
    peer.serve();
  }
}
