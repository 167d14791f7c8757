package dev.spoke.shm;

import dev.spoke.testing.AbstractCallLayerTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The call-layer contract over the hub: the host calls a plugin attached in the same JVM. */
class HubCallLayerTest extends AbstractCallLayerTest {

  static final HubConfig CONFIG = HubConfig.builder()
      .maxPeers(4)
      .ringCapacity(64)
      .sizeClasses(SizeClass.of(1024, 256), SizeClass.of(16 << 10, 64), SizeClass.of(256 << 10, 16), SizeClass.of(4 << 20, 4))
      .build();

  @TempDir
  Path dir;

  private HubHost host;

  @Override
  protected boolean lendsBuffers() {
    return true;
  }

  @Override
  protected boolean buffersAllFree() {
    return host.snapshot().poolFullyFree();
  }

  @Override
  protected TransportPair newTransportPair() throws Exception {
    HubHost host = HubHost.create(CONFIG.toBuilder().directory(dir).build());
    this.host = host;
    HubHost.Reservation r = host.reservePeer("test-plugin", true);
    HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "test-plugin", CONFIG);
    return new TransportPair(r.transport(), peer.transport(), () -> {
      peer.close();
      host.close();
      if (Files.exists(host.path())) {
        throw new AssertionError("the hub file was not removed: " + host.path());
      }
    });
  }
}
