package dev.spoke.shm;

import dev.spoke.testing.ServerSideProcess;
import java.nio.file.Paths;

/**
 * A child JVM that serves the call-layer tests' server side over the hub: each {@code ATTACH hub
 * peerId token} attaches to a hub as that peer (see {@link ServerSideProcess} for the rest).
 */
public final class HubServerChild {

  private HubServerChild() {}

  public static void main(String[] args) {
    ServerSideProcess.run(a -> {
      // The hub's shape as the host made it: the same config the test's host uses.
      HubPeer peer = HubPeer.attach(Paths.get(a.get(0)), Integer.parseInt(a.get(1)), a.get(2), "test-server",
          HubChildCallLayerTest.CONFIG);
      return new ServerSideProcess.Attached(peer.transport(), peer::close);
    });
  }
}
