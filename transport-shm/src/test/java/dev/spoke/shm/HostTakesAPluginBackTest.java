package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.testing.Conditions;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host takes a live plugin's peer entry back while it floods the plugin with frames the plugin is
 * still reading. The reclaim frees the slots of the frames left in the plugin's ring, so the plugin,
 * reading on, finds descriptors whose slots are no longer in flight: it must take that for the end of
 * its attachment ({@code UNAVAILABLE}, the host took its entry back), never for a host that wrote
 * garbage ({@code INTERNAL}, "bad descriptor"). Repeated, since the plugin reads such a descriptor only
 * when the reclaim lands while frames wait.
 */
class HostTakesAPluginBackTest {

  private static final int ROUNDS = 12;
  private static final int PAYLOAD = 3000; // in a slot, not inline in the descriptor

  @TempDir
  Path dir;

  @Test
  void aPluginWhoseEntryTheHostTakesBackUnderLoadEndsUnavailable() throws Exception {
    HubConfig config = HubConfig.builder()
        .directory(dir)
        .maxPeers(4)
        .ringCapacity(64)
        .sizeClasses(SizeClass.of(1024, 32), SizeClass.of(4096, 64))
        .heartbeatInterval(Duration.ofMillis(100))
        .build();
    int frameLeftBehind = 0;
    try (HubHost host = HubHost.create(config)) {
      for (int round = 0; round < ROUNDS; round++) {
        frameLeftBehind += oneRound(host, config, round);
      }
      Conditions.waitUntil("every slot of the pool is free again", 10, () -> host.snapshot().poolFullyFree());
      SlotAllocatorTest.assertListsIntact(host.memory(), host.layout());
    }
    // The test must have exercised the race: frames were waiting in the plugin's ring when it ended.
    assertTrue(frameLeftBehind > 0, "no round ended with frames waiting in the plugin's ring");
  }

  @Test
  void aFrameBeingWrittenWhenTheHostTakesThePluginBackEndsUnavailable() throws Exception {
    // The host's reclaim frees the plugin's slots, a frame's slot among them while the plugin still
    // writes it: sending it then fails as the closed connection it is, not as an internal fault.
    HubConfig config = HubConfig.builder().directory(dir).maxPeers(4).ringCapacity(64)
        .sizeClasses(SizeClass.of(1024, 32), SizeClass.of(4096, 64)).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("taken-back", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "taken-back", config);
      peer.transport().start(PollingCaller.IGNORING);
      r.transport().start(PollingCaller.IGNORING);
      OutboundFrame f = peer.transport().claim(PAYLOAD, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      f.header().clear().kind(FrameKind.REQUEST_MESSAGE).callId(1);
      f.payload().put(new byte[PAYLOAD]);
      assertFalse(host.snapshot().poolFullyFree(), "the frame's payload is not in a slot");
      host.releasePeer(r, "the host takes it back");
      Conditions.waitUntil("the reclaim freed the plugin's slot", 10, () -> host.snapshot().poolFullyFree());
      StatusException e = assertThrows(StatusException.class, f::commit);
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), String.valueOf(e.getStatus()));
      peer.close();
    }
  }

  /** One plugin flooded, then taken back; returns 1 if frames were waiting for it when it ended. */
  private int oneRound(HubHost host, HubConfig config, int round) throws Exception {
    HubHost.Reservation r = host.reservePeer("taken-back-" + round, true);
    HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "taken-back-" + round, config);
    AtomicReference<Status> ended = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    AtomicLong read = new AtomicLong();
    peer.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        read.incrementAndGet();
        LockSupport.parkNanos(20_000); // a plugin slower than the host: its ring stays full
      }

      @Override
      public void onTransportClosed(Status status) {
        ended.compareAndSet(null, status);
        closed.countDown();
      }
    });
    r.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {}

      @Override
      public void onTransportClosed(Status status) {}
    });
    AtomicLong sent = new AtomicLong();
    Thread flooder = new Thread(() -> {
      byte[] bytes = new byte[PAYLOAD];
      for (long id = 1; ; id++) {
        try {
          OutboundFrame f = r.transport().claim(PAYLOAD, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
          f.header().clear().kind(FrameKind.REQUEST_MESSAGE).callId(id);
          f.payload().put(bytes);
          f.commit();
          sent.incrementAndGet();
        } catch (StatusException e) {
          return; // the host took the plugin back: its transport is closed
        }
      }
    }, "flooder-" + round);
    flooder.start();
    Conditions.waitUntil("the plugin reads the flood", 10, () -> read.get() > 200);
    host.releasePeer(r, "the host takes it back");
    flooder.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(flooder.isAlive(), "the flood did not end when the host took the plugin back");
    assertTrue(closed.await(10, TimeUnit.SECONDS), "the plugin never heard that its attachment ended");
    Status status = ended.get();
    assertNotNull(status);
    assertEquals(Status.Code.UNAVAILABLE, status.getCode(), "round " + round + ": " + status);
    assertFalse(String.valueOf(status.getDescription()).contains("bad descriptor"), "round " + round + ": " + status);
    peer.close();
    return sent.get() > read.get() ? 1 : 0;
  }
}
