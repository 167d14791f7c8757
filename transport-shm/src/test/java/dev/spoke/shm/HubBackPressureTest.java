package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Full rings and an exhausted pool: every wait is bounded and its error names what it waited for. */
class HubBackPressureTest {

  static final HubConfig TIGHT = HubConfig.builder()
      .maxPeers(2)
      .ringCapacity(4)
      .sizeClasses(SizeClass.of(1024, 2), SizeClass.of(4096, 1))
      .sendTimeout(Duration.ofMillis(300))
      .build();

  @TempDir
  Path dir;
  HubHost host;
  HubPeer peer;
  HubHost.Reservation reservation;

  void start(HubConfig config) throws Exception {
    host = HubHost.create(config.toBuilder().directory(dir).build());
    reservation = host.reservePeer("slow", true);
    peer = HubPeer.attach(host.path(), reservation.peerId(), reservation.token(), "slow", config);
  }

  @AfterEach
  void tearDown() {
    if (peer != null) {
      peer.close();
    }
    if (host != null) {
      host.close();
    }
  }

  static OutboundFrame send(HubTransport t, int length, long deadlineNanos, long id) throws StatusException {
    OutboundFrame f = t.claim(length, deadlineNanos);
    f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(length > 0 ? FrameHeader.FLAG_MESSAGE : 0).callId(id);
    f.payload().position(length);
    f.commit();
    return f;
  }

  static final class Recording implements FrameListener {
    final List<Long> ids = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger bytes = new AtomicInteger();

    @Override
    public void onFrame(FrameHeader header, ByteBuffer payload) {
      ids.add(header.callId());
      bytes.addAndGet(payload.remaining());
    }

    @Override
    public void onTransportClosed(Status status) {}
  }

  static void waitUntil(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    dev.spoke.testing.Conditions.waitUntil(what, 10, condition);
  }

  @Test
  void exhaustedPoolWaitsUntilTheDeadlineThenNamesTheClass() throws Exception {
    start(TIGHT);
    HubTransport t = reservation.transport();
    // The plugin does not read yet: what the host sends stays in flight.
    send(t, 3000, Long.MAX_VALUE, 1);
    long start = System.nanoTime();
    StatusException e = assertThrows(StatusException.class,
        () -> send(t, 3000, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), 2));
    long waited = System.nanoTime() - start;
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    String d = e.getStatus().getDescription();
    assertTrue(d.contains("the call's deadline") && d.contains("class 1 (4 KiB): 1 of 1 in use"), d);
    assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(190), "gave up after " + waited / 1e6 + " ms");

    // Without a deadline of its own, the hub's send timeout bounds the wait.
    e = assertThrows(StatusException.class, () -> send(t, 3000, Long.MAX_VALUE, 3));
    assertTrue(e.getStatus().getDescription().contains("send timeout"), e.getStatus().toString());

    // Larger than any slot: refused at once, with the limit.
    start = System.nanoTime();
    e = assertThrows(StatusException.class, () -> t.claim(5000, Long.MAX_VALUE));
    assertTrue(e.getStatus().getDescription().contains("largest slot of the hub (4096 bytes); the host allows larger"
        + " payloads with a larger size class, such as SpokeHost.builder().hubConfig(HubConfig.builder()"
        + ".addSizeClass(SizeClass.of(8192, 2)).build())"), e.getStatus().toString());
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100), "no waiting for the impossible");

    // Once the plugin reads, the slot comes back and sends go through.
    Recording r = new Recording();
    peer.transport().start(r);
    waitUntil("the plugin reads the first frame", () -> r.ids.size() == 1);
    send(t, 3000, System.nanoTime() + TimeUnit.SECONDS.toNanos(5), 4);
    waitUntil("the second frame arrives", () -> r.ids.size() == 2);
    assertEquals(List.of(1L, 4L), r.ids);
    waitUntil("every slot is free again", () -> host.snapshot().poolFullyFree());
  }

  @Test
  void fullRingWaitsUntilTheDeadlineThenNamesTheRing() throws Exception {
    start(TIGHT);
    HubTransport t = reservation.transport();
    for (int i = 0; i < 4; i++) {
      send(t, 8, Long.MAX_VALUE, i);
    }
    long start = System.nanoTime();
    StatusException e = assertThrows(StatusException.class,
        () -> send(t, 8, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200), 4));
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(190));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    String d = e.getStatus().getDescription();
    assertTrue(d.contains("stayed full") && d.contains("depth 4/4") && d.contains("slow"), d);
    e = assertThrows(StatusException.class, () -> send(t, 8, Long.MAX_VALUE, 5));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "the hub's own bound, when the call has none");
    Recording r = new Recording();
    peer.transport().start(r);
    waitUntil("the four frames are read", () -> r.ids.size() == 4);
    send(t, 8, Long.MAX_VALUE, 6);
    waitUntil("the next one gets through", () -> r.ids.size() == 5);
    assertEquals(List.of(0L, 1L, 2L, 3L, 6L), r.ids);
  }

  @Test
  void abortedFramesGiveTheirSlotsBack() throws Exception {
    start(TIGHT);
    HubTransport t = reservation.transport();
    OutboundFrame f = t.claim(3000, Long.MAX_VALUE);
    assertEquals(2, host.snapshot().freeSlots(), "one of the three slots is lent");
    f.abort();
    f.abort(); // idempotent
    assertTrue(host.snapshot().poolFullyFree());
    assertThrows(IllegalStateException.class, f::commit);
  }

  @Test
  void theReceiveThreadNeverWaitsAndItsFramesKeepTheirOrder() throws Exception {
    start(TIGHT);
    HubTransport toPeer = reservation.transport();
    HubTransport toHost = peer.transport();
    AtomicInteger seenByPeer = new AtomicInteger();
    // The plugin answers every frame from its receive thread; the host does not read at first, so the
    // plugin's ring to the host fills after 4 and the pool after 3 slots.
    toHost.start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        seenByPeer.incrementAndGet();
        try {
          send(toHost, header.callId() % 2 == 0 ? 16 : 2000, Long.MAX_VALUE, header.callId());
        } catch (StatusException e) {
          throw new AssertionError(e);
        }
      }

      @Override
      public void onTransportClosed(Status status) {}
    });
    int n = 40;
    for (int i = 0; i < n; i++) {
      send(toPeer, 0, System.nanoTime() + TimeUnit.SECONDS.toNanos(5), i);
    }
    waitUntil("the plugin's receive thread handles all " + n + " frames without blocking", () -> seenByPeer.get() == n);
    Recording r = new Recording();
    toPeer.start(r);
    try {
      waitUntil("every answer reaches the host", () -> r.ids.size() == n);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + ": " + r.ids + "\n" + host.snapshot() + " overflow " + toHost.overflowDepth(), e);
    }
    for (int i = 0; i < n; i++) {
      assertEquals((long) i, r.ids.get(i), "answers keep their order");
    }
    waitUntil("every slot is free again", () -> host.snapshot().poolFullyFree());
  }
}
