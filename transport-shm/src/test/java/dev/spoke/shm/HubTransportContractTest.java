package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.testing.AbstractTransportContractTest;
import dev.spoke.testing.Conditions;
import dev.spoke.testing.Figures;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport contract over the hub: {@code a} is the host's end, {@code b} a plugin's end attached
 * in the same JVM. Every test ends with the pool whole: every slot FREE and on its free list once.
 */
class HubTransportContractTest extends AbstractTransportContractTest {

  static final Figures FIGURES = new Figures();

  /** Room for every payload size up to 4 MiB, and rings that seldom fill. */
  static final HubConfig AMPLE = HubConfig.builder()
      .maxPeers(8)
      .ringCapacity(64)
      .sizeClasses(SizeClass.of(1024, 64), SizeClass.of(16 << 10, 16), SizeClass.of(256 << 10, 8), SizeClass.of(4 << 20, 4))
      .heartbeatInterval(Duration.ofMillis(100))
      .build();

  /** Four ring entries and four slots: room runs out at once. */
  static final HubConfig TIGHT = HubConfig.builder()
      .maxPeers(4)
      .ringCapacity(4)
      .sizeClasses(SizeClass.of(1024, 2), SizeClass.of(4096, 2))
      .heartbeatInterval(Duration.ofMillis(100))
      .build();

  @TempDir
  Path dir;

  private final Map<Transport, HubHost> hosts = new IdentityHashMap<>();

  @AfterAll
  static void writeFigures() throws IOException {
    FIGURES.writeTo(Paths.get("target", SOAK ? "reliability-figures-contract-soak.md" : "reliability-figures-contract.md"));
  }

  @Override
  protected void count(String figure, long n) {
    FIGURES.count("hub: " + figure, n);
  }

  /** The idle strategy of both ends' receive loops. */
  protected IdleStrategy idleStrategy() {
    return IdleStrategy.BALANCED;
  }

  @Override
  protected Endpoints newEndpoints(Room room) throws Exception {
    HubConfig config = (room == Room.AMPLE ? AMPLE : TIGHT).toBuilder().directory(dir).idleStrategy(idleStrategy()).build();
    HubHost host = HubHost.create(config);
    HubHost.Reservation r = host.reservePeer("contract", true);
    HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "contract", config);
    hosts.put(r.transport(), host);
    return new Endpoints(r.transport(), peer.transport(), () -> {
      peer.close();
      host.close();
    });
  }

  @Override
  protected int tightRoom() {
    return TIGHT.ringCapacity();
  }

  @Override
  protected int[] tightClaims() {
    return new int[] {1000, 1000, 4000, 4000};
  }

  @Override
  protected int[] payloadBoundaries() {
    return new int[] {FrameDescriptor.INLINE_CAPACITY, 1024, 16 << 10, 256 << 10, 4 << 20};
  }

  @Override
  protected boolean callerReceiveSupported() {
    return true;
  }

  /**
   * Another plugin sends the host one frame whose listener blocks without giving delivery up: the
   * host's receive loop is stuck in that listener, holding that plugin's ring, not {@code a}'s.
   */
  @Override
  protected AutoCloseable stallReceiveThread(Endpoints ends) throws Exception {
    HubHost host = hosts.get(ends.a);
    HubConfig config = host.config();
    HubHost.Reservation r = host.reservePeer("staller", true);
    HubPeer staller = HubPeer.attach(host.path(), r.peerId(), r.token(), "staller", config);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    r.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        entered.countDown();
        try {
          release.await(2 * WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }

      @Override
      public void onTransportClosed(Status status) {}
    });
    staller.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {}

      @Override
      public void onTransportClosed(Status status) {}
    });
    OutboundFrame f = staller.transport().claim(0, Long.MAX_VALUE);
    f.header().clear().kind(FrameKind.REQUEST_MESSAGE).callId(1);
    f.commit();
    assertTrue(entered.await(WAIT_SECONDS, TimeUnit.SECONDS), "the host's receive loop never took the staller's frame");
    return () -> {
      if (release.getCount() > 0) {
        release.countDown();
        staller.close();
        Conditions.waitUntil("the host reclaims the staller", WAIT_SECONDS, () -> !host.isPeerLive(r));
      }
    };
  }

  @Override
  protected void assertNothingHeld(Endpoints ends) throws Exception {
    HubHost host = hosts.get(ends.a);
    Conditions.waitUntil("every slot of the pool is free again", WAIT_SECONDS, () -> host.snapshot().poolFullyFree());
    // A free that ran as the last slot came back may still hold its class's head lock for a moment, and
    // the host's pool check may lock a head to relink a slot whose free gave up on a busy head. One look
    // that finds every list whole proves it; looking again after that could only race those moments.
    AssertionError[] last = new AssertionError[1];
    try {
      Conditions.waitUntil("every free list is intact, no head left locked", WAIT_SECONDS, () -> {
        try {
          SlotAllocatorTest.assertListsIntact(host.memory(), host.layout());
          return true;
        } catch (AssertionError notYet) {
          last[0] = notYet;
          return false;
        }
      });
    } catch (AssertionError timedOut) {
      if (last[0] != null) {
        timedOut.addSuppressed(last[0]); // what the last look found
      }
      throw timedOut;
    }
  }
}
