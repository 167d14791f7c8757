package dev.spoke.shm;

import dev.spoke.testing.AbstractCallLayerTest;
import dev.spoke.testing.ChildServerSide;
import dev.spoke.testing.Conditions;
import dev.spoke.testing.ServerSide;
import dev.spoke.testing.TestService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The call-layer contract over the hub across processes: the host, the client side, in this JVM; the
 * plugin, the server side, in a child JVM ({@link HubServerChild}), one child for the whole class that
 * attaches to each test's hub. What the child's {@code TestService} records reaches the test (see
 * {@link ChildServerSide}), so every test of the suite runs here unchanged. After each test the plugin
 * is reclaimed and the pool must be whole.
 */
class HubChildCallLayerTest extends AbstractCallLayerTest {

  static final HubConfig CONFIG = HubCallLayerTest.CONFIG.toBuilder().heartbeatInterval(Duration.ofMillis(100)).build();

  private static ChildServerSide.ServerProcess child;

  @TempDir
  Path dir;

  private HubHost host;
  private HubHost.Reservation reservation;

  @AfterAll
  static void stopChild() throws Exception {
    if (child != null) {
      child.close();
      child = null;
    }
  }

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
    host = HubHost.create(CONFIG.toBuilder().directory(dir).build());
    // Judged by its pid and heartbeat, as a plugin the host did not launch itself.
    reservation = host.reservePeer("test-server", false);
    HubHost h = host;
    return new TransportPair(reservation.transport(), null, () -> {
      try {
        Conditions.waitUntil("the host reclaims the plugin", WAIT_SECONDS, () -> h.peersInUse() == 0);
        Conditions.waitUntil("the pool is whole", WAIT_SECONDS, () -> h.snapshot().poolFullyFree());
        SlotAllocatorTest.assertListsIntact(h.memory(), h.layout());
      } finally {
        h.close();
      }
      if (Files.exists(h.path())) {
        throw new AssertionError("the hub file was not removed: " + h.path());
      }
    });
  }

  @Override
  protected ServerSide startServerSide(TransportPair pair, TestService service) throws Exception {
    if (child == null || !child.isAlive()) {
      child = ChildServerSide.ServerProcess.start(HubServerChild.class);
    }
    return child.attach(service, host.path().toString(), String.valueOf(reservation.peerId()), reservation.token());
  }
}
