package dev.spoke.shm;

import dev.spoke.testing.AbstractCallApiTest;
import dev.spoke.testing.AbstractCallLayerTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The everyday gRPC-java API over the hub: the host calls a plugin attached in the same JVM. */
class HubCallApiTest extends AbstractCallApiTest {

  @TempDir
  Path dir;

  @Override
  protected AbstractCallLayerTest.TransportPair newTransportPair() throws Exception {
    HubHost host = HubHost.create(HubCallLayerTest.CONFIG.toBuilder().directory(dir).build());
    HubHost.Reservation r = host.reservePeer("test-plugin", true);
    HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "test-plugin", HubCallLayerTest.CONFIG);
    return new AbstractCallLayerTest.TransportPair(r.transport(), peer.transport(), () -> {
      peer.close();
      host.close();
    });
  }
}
