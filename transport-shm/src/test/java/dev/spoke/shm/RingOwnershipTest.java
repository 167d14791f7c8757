package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.testing.Conditions;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single owner of each inbound ring's consumer side, and claim-then-publish-or-pad on every
 * path: regressions of races the ownership rework removed.
 */
class RingOwnershipTest {

  static final HubConfig CONFIG = SlotAllocatorTest.SMALL;

  @TempDir
  Path dir;

  /** A listener that records frames and the close. */
  static class Recording implements FrameListener {
    final LinkedBlockingQueue<Long> callIds = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> threads = new LinkedBlockingQueue<>();
    final AtomicReference<Status> closed = new AtomicReference<>();

    @Override
    public void onFrame(FrameHeader header, ByteBuffer payload) {
      callIds.add(header.callId());
      threads.add(Thread.currentThread().getName());
    }

    @Override
    public void onTransportClosed(Status status) {
      closed.set(status);
    }
  }

  private static void send(Transport t, FrameKind kind, long callId, int length, long deadline) throws StatusException {
    OutboundFrame f = t.claim(length, deadline);
    for (int i = 0; i < length; i++) {
      f.payload().put((byte) i);
    }
    f.header().clear().kind(kind).callId(callId);
    f.commit();
  }

  /** Plugins "a" and "b" attached to {@code host}, their own sides started; the host's sides are the test's. */
  private record TwoPlugins(HubHost.Reservation ra, HubHost.Reservation rb, HubPeer a, HubPeer b) {
    static TwoPlugins attach(HubHost host, HubConfig config) throws Exception {
      HubHost.Reservation ra = host.reservePeer("a", true);
      HubHost.Reservation rb = host.reservePeer("b", true);
      HubPeer a = HubPeer.attach(host.path(), ra.peerId(), ra.token(), "a", config);
      HubPeer b = HubPeer.attach(host.path(), rb.peerId(), rb.token(), "b", config);
      a.transport().start(new Recording());
      b.transport().start(new Recording());
      return new TwoPlugins(ra, rb, a, b);
    }
  }

  /**
   * Starts a thread that sends frames on {@code t} until {@code stop}, pausing {@code pauseNanos}
   * between two (0: none).
   */
  private static Thread startSender(Transport t, AtomicBoolean stop, long pauseNanos, String name) {
    Thread sender = new Thread(() -> {
      try {
        for (long id = 1; !stop.get(); id++) {
          send(t, FrameKind.CALL_START, id, 4, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
          if (pauseNanos > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(pauseNanos);
          }
        }
      } catch (StatusException e) {
        if (!stop.get()) {
          throw new AssertionError(e);
        }
      }
    }, name);
    sender.start();
    return sender;
  }

  @Test
  void aThrowBetweenClaimAndPublishLeavesPaddingAndTheRingMovesOn() throws Exception {
    try (HubHost host = HubHost.create(CONFIG.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", CONFIG);
      Recording received = new Recording();
      peer.transport().start(received);
      r.transport().start(new Recording());
      SlotAllocator slots = new SlotAllocator(host.memory(), host.layout());
      // A frame whose slot someone else freed after the claim: the publish fails after the position
      // was claimed, so the position must become padding or the plugin would stop reading here.
      OutboundFrame f = r.transport().claim(500, Long.MAX_VALUE);
      long ref = ((HubTransport.Frame) f).slotRef;
      assertTrue(slots.freeAllocated(ref, SlotDescriptor.HOST_ID));
      f.header().clear().kind(FrameKind.CALL_START).callId(1);
      StatusException e = assertThrows(StatusException.class, f::commit);
      assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
      assertTrue(e.getStatus().getDescription().contains("lost ownership"), e.getStatus().getDescription());
      for (long id = 2; id <= 5; id++) {
        send(r.transport(), FrameKind.CALL_START, id, id == 3 ? 600 : 4, Long.MAX_VALUE);
      }
      for (long id = 2; id <= 5; id++) {
        assertEquals(id, received.callIds.poll(10, TimeUnit.SECONDS), "the ring stopped at the aborted position");
      }
      peer.close();
      Conditions.waitUntil("the pool is whole again", 10, () -> host.snapshot().poolFullyFree());
    }
  }

  @Test
  void aBadDescriptorFoundByACallerIsReclaimedByTheLoopNotTheCaller() throws Exception {
    try (HubHost host = HubHost.create(CONFIG.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("rogue", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "rogue", CONFIG);
      Recording hostSide = new Recording();
      r.transport().start(hostSide);
      peer.transport().start(new Recording());
      List<String> reclaimedOn = new ArrayList<>();
      CountDownLatch gone = new CountDownLatch(1);
      host.onPeerGone((id, reason) -> {
        reclaimedOn.add(Thread.currentThread().getName() + ": " + reason);
        gone.countDown();
      });
      // A caller on the host polls the plugin's ring for its response, round after round.
      PollingCaller caller = new PollingCaller(r.transport(), "test-caller");
      try {
        // The plugin publishes a descriptor of an unknown kind, then a good one behind it.
        DescriptorRing out = peer.transport().outRing();
        long position = out.tryClaim(peer.transport().epoch());
        long e = out.entryOffset(position);
        SharedBuffer mem = host.memory();
        mem.putByte(e + FrameDescriptor.KIND_OFFSET, (byte) 99);
        mem.putByte(e + FrameDescriptor.MODE_OFFSET, FrameDescriptor.MODE_INLINE);
        mem.putInt(e + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, 0);
        out.publish(position);
        assertTrue(gone.await(10, TimeUnit.SECONDS), "the rogue plugin was never reclaimed");
      } finally {
        caller.stop();
      }
      assertEquals(1, reclaimedOn.size(), reclaimedOn.toString());
      assertTrue(reclaimedOn.get(0).startsWith("spoke-hub-receiver"),
          "the reclaim ran on " + reclaimedOn.get(0) + ", not on the receive loop");
      assertTrue(reclaimedOn.get(0).contains("unknown frame kind 99"), reclaimedOn.get(0));
      Status closed = hostSide.closed.get();
      assertNotNull(closed, "the host's transport to the rogue plugin was not closed");
      assertEquals(Status.Code.UNAVAILABLE, closed.getCode());
      assertTrue(host.snapshot().poolFullyFree(), "the pool is whole after the reclaim");
      peer.close();
    }
  }

  @Test
  void aTailWithForeignEpochBitsIsReportedAsACorruptRingNotAReusedEntry() throws Exception {
    try (HubHost host = HubHost.create(CONFIG.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", CONFIG);
      peer.transport().start(new Recording());
      r.transport().start(new Recording());
      long tailOffset = host.layout().hostToPeerRingOffset(r.peerId()) + RingDescriptor.TAIL_OFFSET;
      long tail = host.memory().getLongVolatile(tailOffset);
      host.memory().putLongVolatile(tailOffset, tail ^ RingDescriptor.basePosition(0x55));
      StatusException e = assertThrows(StatusException.class,
          () -> send(r.transport(), FrameKind.CALL_START, 1, 4, Long.MAX_VALUE));
      String what = e.getStatus().getDescription();
      assertTrue(what.contains("corrupt") && what.contains("another epoch"), what);
      assertFalse(what.contains("reused"), what);
      peer.close();
    }
  }

  @Test
  void framesQueuedForAPluginThatDoesNotReadHoldNoSlotsAndAreBounded() throws Exception {
    try (HubHost host = HubHost.create(CONFIG.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("deaf", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "deaf", CONFIG);
      r.transport().start(new Recording());
      // The plugin never reads: its ring fills, then frames queue.
      for (int i = 0; i < CONFIG.ringCapacity(); i++) {
        send(r.transport(), FrameKind.CALL_START, i + 1, 4, Long.MAX_VALUE);
      }
      StatusException refused = null;
      int queued = 0;
      while (refused == null) {
        try {
          send(r.transport(), FrameKind.RESPONSE_MESSAGE, 1_000_000 + queued, 1000, Transport.NO_WAIT);
          queued++;
        } catch (StatusException e) {
          refused = e;
        }
        assertTrue(queued <= RingConsumer.MAX_QUEUED_FRAMES, "the queue grew past its bound");
      }
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("is not reading what it is sent"),
          refused.getStatus().getDescription());
      assertTrue(queued > 1000, "only " + queued + " frames were queued");
      // Queued frames keep their bytes off the pool: every slot is free for the other plugins.
      HubSnapshot.ClassUsage smallest = HubSnapshot.captureClass(host.memory(), host.layout(), 0);
      assertEquals(smallest.slotCount, smallest.free, smallest.toString());
      // Once the plugin reads, everything queued arrives, in order.
      Recording received = new Recording();
      peer.transport().start(received);
      for (int i = 0; i < CONFIG.ringCapacity(); i++) {
        assertEquals(i + 1L, received.callIds.poll(10, TimeUnit.SECONDS));
      }
      for (int i = 0; i < queued; i++) {
        assertEquals(1_000_000L + i, received.callIds.poll(10, TimeUnit.SECONDS));
      }
      peer.close();
    }
  }

  @Test
  void aThreadStuckInApplicationCodeIsTakenOverAndTakesNoRingAgain() throws Exception {
    // The host delivers plugin A's frames into code that blocks outside Spoke's calls. The standby must
    // take the loop over within the hand-off limit, so plugin B's frames keep flowing; and the stuck
    // thread, back from its code, must not go on to take any other ring (a role taken then would never
    // be given back: the loop would skip that ring for good).
    assertStuckThreadIsTakenOver(false);
  }

  @Test
  void aThreadComputingInApplicationCodeIsTakenOver() throws Exception {
    // As above, but the code computes (the kernel shows its thread runnable, gaining CPU time) rather
    // than blocks: it holds the other calls up just the same.
    assertStuckThreadIsTakenOver(true);
  }

  private void assertStuckThreadIsTakenOver(boolean computing) throws Exception {
    HubConfig config = CONFIG.toBuilder().directory(dir).handOffAfter(java.time.Duration.ofMillis(2)).build();
    try (HubHost host = HubHost.create(config)) {
      TwoPlugins two = TwoPlugins.attach(host, config);
      LinkedBlockingQueue<Long> fromA = new LinkedBlockingQueue<>();
      java.util.concurrent.atomic.AtomicReference<CountDownLatch> bArrived = new java.util.concurrent.atomic.AtomicReference<>();
      two.ra().transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          fromA.add(header.callId());
          boolean entered = dev.spoke.internal.InboundDelivery.enterApplicationCode();
          try {
            // Blocks or computes (not in a Spoke call) until plugin B's frames got through meanwhile:
            // they can only if another thread took delivering over from this one.
            CountDownLatch b = bArrived.get();
            if (computing) {
              long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
              while (b.getCount() > 0 && System.nanoTime() < until) {
                Thread.onSpinWait();
              }
            } else {
              b.await(20, TimeUnit.SECONDS);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            dev.spoke.internal.InboundDelivery.leaveApplicationCode(entered);
          }
        }
      });
      LinkedBlockingQueue<Long> fromB = new LinkedBlockingQueue<>();
      two.rb().transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          fromB.add(header.callId());
          bArrived.get().countDown();
        }
      });
      for (int round = 0; round < 10; round++) {
        bArrived.set(new CountDownLatch(20));
        send(two.a().transport(), FrameKind.CALL_START, round, 4, Long.MAX_VALUE);
        assertEquals(round, fromA.poll(10, TimeUnit.SECONDS));
        for (int i = 0; i < 20; i++) {
          long id = round * 100L + i;
          send(two.b().transport(), FrameKind.CALL_START, id, 4, Long.MAX_VALUE);
          assertEquals(id, fromB.poll(10, TimeUnit.SECONDS), "plugin B's frames are held up behind A's handler");
        }
      }
      // At rest, no ring's consumer role is held by anybody.
      Conditions.waitUntil("every consumer role is free at rest", 10,
          () -> two.ra().transport().consumer().owner() == null && two.rb().transport().consumer().owner() == null);
      two.a().close();
      two.b().close();
    }
  }

  @Test
  void theStandbyOfABusyLoopWhoseCodeReturnsAtOnceLooksLessOftenAndStillTakesOver() throws Exception {
    // Frames flow without a pause into code that returns at once: every look of the standby is quiet,
    // and it backs off to a look every four limits (each look is a wake-up that takes a core from a
    // spinning loop for a moment). Then one frame's code blocks: it must still be taken over.
    long limitNanos = TimeUnit.MILLISECONDS.toNanos(1);
    // Busy-spin: the leader never parks between frames (a loop that sleeps a whole look puts its
    // standby to sleep, and it starts again from one look per limit when it wakes).
    HubConfig config = CONFIG.toBuilder().directory(dir).handOffAfter(java.time.Duration.ofNanos(limitNanos))
        .idleStrategy(IdleStrategy.BUSY_SPIN).build();
    try (HubHost host = HubHost.create(config)) {
      TwoPlugins two = TwoPlugins.attach(host, config);
      java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
      CountDownLatch bArrived = new CountDownLatch(1);
      CountDownLatch blocking = new CountDownLatch(1);
      AtomicBoolean blockNext = new AtomicBoolean();
      two.ra().transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          boolean entered = dev.spoke.internal.InboundDelivery.enterApplicationCode();
          try {
            delivered.incrementAndGet();
            if (blockNext.compareAndSet(true, false)) {
              blocking.countDown();
              bArrived.await(20, TimeUnit.SECONDS);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            dev.spoke.internal.InboundDelivery.leaveApplicationCode(entered);
          }
        }
      });
      two.rb().transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          bArrived.countDown();
        }
      });
      AtomicBoolean stop = new AtomicBoolean();
      // A short pause between frames leaves a core free, so the standby's looks come on time and their
      // count says how often it looks, not how often the scheduler let it.
      Thread sender = startSender(two.a().transport(), stop, 20_000, "backoff-test-sender");
      try {
        // The back-off reaches four limits after 32 quiet looks at one limit and 32 at two: about 0.1 s.
        Conditions.waitUntil("frames flowing, and the standby looking every four limits", 10,
            () -> delivered.get() >= 1000 && host.standbyQuietIntervalNanos() == 4 * limitNanos);
        long looks0 = host.standbyLooks();
        long delivered0 = delivered.get();
        long t0 = System.nanoTime();
        Thread.sleep(1000); // NOTE: a span to measure over, not a wait for a condition
        long looksPerSecond = (host.standbyLooks() - looks0) * 1_000_000_000L / (System.nanoTime() - t0);
        assertTrue(delivered.get() - delivered0 > 1000, "frames did not flow while the looks were counted");
        // One look per limit (1,000 a second) before it backs off; 250 a second at four limits.
        assertTrue(looksPerSecond < 500, looksPerSecond + " looks a second: the standby did not back off");
        assertTrue(looksPerSecond >= 25, looksPerSecond + " looks a second: the standby did not watch the loop");
        blockNext.set(true);
        assertTrue(blocking.await(10, TimeUnit.SECONDS), "no frame of plugin A came to block on");
        long blockedAt = System.nanoTime();
        send(two.b().transport(), FrameKind.CALL_START, 1, 4, Long.MAX_VALUE);
        assertTrue(bArrived.await(10, TimeUnit.SECONDS), "plugin B's frame is held up behind a blocked handler");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - blockedAt);
        assertEquals(1, host.takeOvers(), "took over " + tookMillis + " ms after the block");
        // Eight limits at most by the rule, and far less than a take-over of a back-off without bound;
        // the margin is for a loaded machine's late looks.
        assertTrue(tookMillis < 250, "took over only " + tookMillis + " ms after the block");
      } finally {
        stop.set(true);
        sender.join(TimeUnit.SECONDS.toMillis(20));
      }
      two.a().close();
      two.b().close();
    }
  }

  @Test
  void aCallerThatDeliversInlineCodeGivesItsRingUpFirst() throws Exception {
    // A blocking caller holds the only ring, so the loop has nothing to poll and parks, and the ring is
    // not armed while the caller holds it. The caller then delivers a frame whose code runs inline and
    // blocks outside Spoke's calls (another call's callback, say). A parked loop's standby sleeps, so no
    // watchdog would take the ring over: the caller must give it up before it runs that code, and the
    // next frame arrive through the loop long before the park limit (a minute here).
    HubConfig config = CONFIG.toBuilder().directory(dir).parkLimit(java.time.Duration.ofSeconds(60)).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", config);
      peer.transport().start(new Recording());
      CountDownLatch secondArrived = new CountDownLatch(1);
      LinkedBlockingQueue<String> deliveredBy = new LinkedBlockingQueue<>();
      r.transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          deliveredBy.add(header.callId() + " on " + Thread.currentThread().getName());
          if (header.callId() != 1) {
            secondArrived.countDown();
            return;
          }
          boolean entered = dev.spoke.internal.InboundDelivery.enterApplicationCode();
          try {
            secondArrived.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            dev.spoke.internal.InboundDelivery.leaveApplicationCode(entered);
          }
        }
      });
      PollingCaller caller = new PollingCaller(r.transport(), "test-caller");
      try {
        // The caller takes the ring once the loop parked (and armed it), before frame 1 comes.
        Conditions.waitUntil("the caller holds the ring", 10,
            () -> r.transport().consumer().owner() == caller.thread());
        send(peer.transport(), FrameKind.RESPONSE_MESSAGE, 1, 4, Long.MAX_VALUE);
        assertEquals("1 on test-caller", deliveredBy.poll(10, TimeUnit.SECONDS));
        send(peer.transport(), FrameKind.RESPONSE_MESSAGE, 2, 4, Long.MAX_VALUE);
        String second = deliveredBy.poll(10, TimeUnit.SECONDS);
        assertNotNull(second, "frame 2 waited behind the caller's inline code: the caller kept the ring");
        assertFalse(second.endsWith("test-caller"), second);
      } finally {
        assertTrue(caller.stop(), "the caller did not stop");
      }
      peer.close();
    }
  }

  @Test
  void aThreadWhoseRolesWereTakenOverDeliversNothingWhileTheRingStillNamesIt() throws Exception {
    // A watchdog takes a stuck thread's roles in two steps: the thread's state (the thread, seeing it,
    // forgets its roles), then each role (the ring names no owner). The stuck thread here is the loop's,
    // in a handler that waits for a response of its own; between the two steps the ring still names
    // it. Were it to deliver as the ring's keeper then, the watchdog's second step would clear the role
    // under it mid-delivery (a failed owner assertion, seen once in a plugin flood). The test stands in
    // for the watchdog, paused between its steps, and checks that the thread stands back and the
    // response is delivered once, by the loop, after the second step.
    HubConfig config = CONFIG.toBuilder().directory(dir).handOffAfter(java.time.Duration.ofSeconds(60)).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", config);
      peer.transport().start(new Recording());
      RingConsumer consumer = r.transport().consumer();
      CountDownLatch responseSent = new CountDownLatch(1);
      AtomicReference<String> lookedAsCaller = new AtomicReference<>();
      AtomicBoolean insideLook = new AtomicBoolean();
      LinkedBlockingQueue<String> delivered = new LinkedBlockingQueue<>();
      r.transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          delivered.add(header.callId() + (insideLook.get() ? " inside the look" : ""));
          if (header.callId() != 1) {
            return;
          }
          Thread me = Thread.currentThread();
          boolean entered = dev.spoke.internal.InboundDelivery.enterApplicationCode();
          try {
            responseSent.await(10, TimeUnit.SECONDS);
            Conditions.waitUntil("the response is in the ring", 10, consumer::hasInbound);
            // The loop goes on without this thread, which keeps only the ring's role (as a holder the
            // watchdog judges by itself, not with the loop's leadership).
            ReceiveLoop loop = r.transport().receiveLoop();
            dev.spoke.internal.InboundDelivery.leave(loop);
            loop.relinquish();
            // The watchdog's first step: this thread's roles are claimed.
            assertTrue(dev.spoke.internal.InboundDelivery.current().tryTakeOver(0, System.nanoTime()));
            // The handler's blocking call gives its roles up before it waits, and finds them taken.
            dev.spoke.internal.InboundDelivery.relinquishAll();
            assertEquals(me, consumer.owner(), "the ring names the stuck thread until the second step");
            insideLook.set(true);
            int got = consumer.receiveOnCallerThread(16);
            insideLook.set(false);
            lookedAsCaller.set("looked: " + got);
            consumer.endReceiveOnCallerThread();
            // The watchdog's second step.
            consumer.takeOverFrom(me);
          } catch (Throwable e) {
            lookedAsCaller.set("failed: " + e);
          } finally {
            dev.spoke.internal.InboundDelivery.leaveApplicationCode(entered);
          }
        }
      });
      send(peer.transport(), FrameKind.CALL_START, 1, 4, Long.MAX_VALUE);
      assertEquals("1", delivered.poll(10, TimeUnit.SECONDS));
      send(peer.transport(), FrameKind.RESPONSE_MESSAGE, 2, 4, Long.MAX_VALUE);
      responseSent.countDown();
      assertEquals("2", delivered.poll(10, TimeUnit.SECONDS), lookedAsCaller::get);
      assertEquals("looked: -1", lookedAsCaller.get());
      Conditions.waitUntil("the ring's role is free at rest", 10, () -> consumer.owner() == null);
      assertEquals(null, delivered.poll(50, TimeUnit.MILLISECONDS));
      peer.close();
    }
  }

  @Test
  void theStandbyRunsWithTheBatchPolicyAndTheDeliveringThreadDoesNot() throws Exception {
    // While frames flow, the loop's standby looks every half limit: with the batch policy, so that its
    // wake-ups do not preempt a spinning loop. The thread that delivers (and leads) has the normal one.
    org.junit.jupiter.api.Assumptions.assumeTrue(SchedulingPolicy.AVAILABLE, "no sched_setscheduler here");
    HubConfig config = CONFIG.toBuilder().directory(dir).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", config);
      peer.transport().start(new Recording());
      AtomicBoolean deliveredAsBatch = new AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
      r.transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          if (SchedulingPolicy.isBatch()) {
            deliveredAsBatch.set(true);
          }
          delivered.incrementAndGet();
        }
      });
      AtomicBoolean stop = new AtomicBoolean();
      Thread sender = startSender(peer.transport(), stop, 0, "policy-test-sender");
      try {
        // The host's receive threads by their (truncated) name; the standby is among them once the
        // leader has run a while awake. Frames must have flowed by then, or the check below says nothing.
        Conditions.waitUntil("frames delivered, and one host receive thread with the batch policy", 10,
            () -> delivered.get() >= 1000 && hostReceiveThreadsWithPolicy(3) == 1);
      } finally {
        stop.set(true);
        sender.join(TimeUnit.SECONDS.toMillis(20));
      }
      assertTrue(delivered.get() > 0);
      assertFalse(deliveredAsBatch.get(), "a frame was delivered by a thread of the batch policy");
      peer.close();
    }
  }

  /** How many of this process's threads named like the host's receive threads have {@code policy}. */
  private static long hostReceiveThreadsWithPolicy(int policy) {
    try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(java.nio.file.Paths.get("/proc/self/task"))) {
      return tasks.filter(t -> {
        try {
          byte[] bytes = java.nio.file.Files.readAllBytes(t.resolve("stat"));
          String stat = new String(bytes, java.nio.charset.StandardCharsets.US_ASCII);
          int open = stat.indexOf('(');
          int close = stat.lastIndexOf(')');
          if (!stat.substring(open + 1, close).startsWith("spoke-hub-recei")) {
            return false;
          }
          // Fields after the name start at the third (state); the policy is the 41st.
          String[] rest = stat.substring(close + 2).trim().split(" ");
          return Integer.parseInt(rest[41 - 3]) == policy;
        } catch (java.io.IOException | RuntimeException e) {
          return false; // the thread ended meanwhile
        }
      }).count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void aStallOfTheWholeProcessIsNoTimeInApplicationCode() throws Exception {
    // The host runs each of the plugin's frames in application code for 10 ms, under a hand-off limit
    // of 20 ms: never too long. Meanwhile 50 full collections stop every thread for longer than the
    // limit, many of them inside that code. That is no time the code ran: nobody may be taken over.
    // (Before the standby counted collections, every one that caught the leader in code it had entered
    // before the standby's last look was a take-over.)
    // Enough live objects that a full collection takes tens of ms on any machine; made, and collected
    // once, before the traffic starts, so that no concurrent cycle of the collector runs during it.
    Object[] live = new Object[1 << 22];
    for (int i = 0; i < live.length; i++) {
      live[i] = new long[4];
    }
    System.gc();
    HubConfig config = CONFIG.toBuilder().directory(dir).handOffAfter(java.time.Duration.ofMillis(20)).build();
    long codeNanos = 10_000_000;
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", config);
      peer.transport().start(new Recording());
      java.util.concurrent.atomic.AtomicLong longestInCode = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong delivered = new java.util.concurrent.atomic.AtomicLong();
      // One frame at a time: the sender waits for each to be delivered, so the loop is the only thread
      // that wants a core (a preempted leader is another matter).
      java.util.concurrent.Semaphore room = new java.util.concurrent.Semaphore(1);
      r.transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          long inCode = timedInApplicationCode(t0 -> {
            // 10 ms of work in steps of 100 µs: a stall costs the step it hits, not the rest, so the
            // code is still running when the standby looks after a collection.
            for (int step = 0; step < 100; step++) {
              long s0 = System.nanoTime();
              while (System.nanoTime() - s0 < codeNanos / 100) {
                Thread.onSpinWait();
              }
            }
          });
          longestInCode.accumulateAndGet(inCode, Math::max);
          delivered.incrementAndGet();
          room.release();
        }
      });
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> senderFailed = new AtomicReference<>();
      Thread sender = new Thread(() -> {
        try {
          for (long id = 1; !stop.get(); id++) {
            if (!room.tryAcquire(10, TimeUnit.SECONDS)) {
              throw new AssertionError("frame " + (id - 1) + " was not delivered within 10 s");
            }
            send(peer.transport(), FrameKind.CALL_START, id, 4, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
          }
        } catch (Throwable t) {
          senderFailed.set(t);
        }
      }, "stall-test-sender");
      sender.start();
      for (int round = 0; round < 50; round++) {
        System.gc();
        Thread.sleep(15);
      }
      stop.set(true);
      sender.join(TimeUnit.SECONDS.toMillis(20));
      assertEquals(null, senderFailed.get(), "the sender failed");
      assertTrue(live[live.length - 1] != null);
      assertTrue(delivered.get() > 20, "only " + delivered.get() + " frames were delivered");
      // The stalls did hit the code: some entry took longer than the limit by the wall clock.
      assertTrue(longestInCode.get() > config.handOffAfter().toNanos(),
          "no stall caught the code (longest entry " + longestInCode.get() / 1000 + " µs): the test proves nothing");
      assertEquals(0, host.takeOvers(), "threads were taken over for time the whole process stood still");
      peer.close();
    }
  }

  /**
   * Runs {@code code} as application code of the delivering thread (given the time it started, by
   * {@link System#nanoTime()}); returns how long it took by the wall clock.
   */
  private static long timedInApplicationCode(java.util.function.LongConsumer code) {
    boolean entered = dev.spoke.internal.InboundDelivery.enterApplicationCode();
    long t0 = System.nanoTime();
    try {
      code.accept(t0);
    } finally {
      dev.spoke.internal.InboundDelivery.leaveApplicationCode(entered);
    }
    return System.nanoTime() - t0;
  }

  /** The calls that make a thread wait for a core on demand: its CPU affinity and scheduling policy. */
  interface Sched extends com.sun.jna.Library {
    int SCHED_OTHER = 0;
    int SCHED_IDLE = 5;

    int sched_setaffinity(int pid, long cpusetsize, long[] mask);

    int sched_getaffinity(int pid, long cpusetsize, long[] mask);

    int sched_setscheduler(int pid, int policy, int[] param);
  }

  /** Spinning threads sharing the waiting thread's CPU. */
  private static final int HOGS = 3;

  /** The hand-off limit of the test below. */
  private static final long LIMIT_NANOS = 40_000_000;

  /**
   * The most CPU time the code below takes: less than a quarter of the limit, which a thread must have
   * computed after it was found due to count as computing, so no share of the CPU it gets makes it due.
   */
  private static final long WORK_CAP_NANOS = LIMIT_NANOS / 5;

  @Test
  void aThreadWaitingForACoreInApplicationCodeIsNotTakenOver() throws Exception {
    // The host runs a frame's code (spinning) on a thread that must wait for a core: for the
    // code's duration the thread is pinned to one CPU with the idle policy, beside spinning threads of
    // the normal policy pinned there too, so it gets a sliver of that CPU (as a loop preempted by
    // spinning ones on a small machine does). It stays in the code far longer than the hand-off limit
    // by the wall clock, but it neither blocks nor computes for long: a take-over would add a runnable
    // thread, not a core. Nobody may be taken over. (Before the standby read the thread's state from
    // the kernel, this was a take-over each time.)
    assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs a second CPU for the standby");
    assumeTrue(java.nio.file.Files.isReadable(java.nio.file.Paths.get("/proc/thread-self/schedstat")),
        "no schedstat");
    Sched sched = com.sun.jna.Native.load("c", Sched.class);
    long[] all = new long[16];
    assumeTrue(sched.sched_getaffinity(0, all.length * 8L, all) == 0, "no sched_getaffinity");
    int cpu = 63 - Long.numberOfLeadingZeros(all[0]);
    assumeTrue(cpu > 0 && Long.bitCount(all[0]) >= 2, "needs two CPUs among the first 64 allowed");
    long[] one = new long[16];
    one[0] = 1L << cpu;
    java.lang.management.ThreadMXBean cpuTime = java.lang.management.ManagementFactory.getThreadMXBean();

    HubConfig config =
        CONFIG.toBuilder().directory(dir).handOffAfter(java.time.Duration.ofNanos(LIMIT_NANOS)).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("p", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "p", config);
      peer.transport().start(new Recording());
      AtomicBoolean hogRuns = new AtomicBoolean(true);
      List<Thread> hogs = new ArrayList<>();
      CountDownLatch hogsPinned = new CountDownLatch(HOGS);
      for (int i = 0; i < HOGS; i++) {
        Thread hog = new Thread(() -> {
          sched.sched_setaffinity(0, one.length * 8L, one);
          hogsPinned.countDown();
          while (hogRuns.get()) {
            Thread.onSpinWait();
          }
        }, "core-hog-" + i);
        hog.setDaemon(true);
        hogs.add(hog);
      }
      LinkedBlockingQueue<Long> wallNanos = new LinkedBlockingQueue<>();
      AtomicReference<String> setUpFailed = new AtomicReference<>();
      r.transport().start(new Recording() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          wallNanos.add(timedInApplicationCode(t0 -> {
            try {
              if (sched.sched_setaffinity(0, one.length * 8L, one) != 0
                  || sched.sched_setscheduler(0, Sched.SCHED_IDLE, new int[] {0}) != 0) {
                setUpFailed.set("could not pin the delivering thread or give it the idle policy");
                return;
              }
              // Runs four limits by the wall clock, or until it had its CPU time's cap (it would then
              // have had too big a share to prove anything: see below).
              long cpu0 = cpuTime.getCurrentThreadCpuTime();
              while (System.nanoTime() - t0 < 4 * LIMIT_NANOS
                  && cpuTime.getCurrentThreadCpuTime() - cpu0 < WORK_CAP_NANOS) {
                Thread.onSpinWait();
              }
            } finally {
              sched.sched_setscheduler(0, Sched.SCHED_OTHER, new int[] {0});
              sched.sched_setaffinity(0, all.length * 8L, all);
            }
          }));
        }
      });
      hogs.forEach(Thread::start);
      try {
        assertTrue(hogsPinned.await(10, TimeUnit.SECONDS));
        long longest = 0;
        for (int i = 1; i <= 2; i++) {
          send(peer.transport(), FrameKind.CALL_START, i, 4, Long.MAX_VALUE);
          Long wall = wallNanos.poll(60, TimeUnit.SECONDS);
          assertNotNull(wall, "frame " + i + " was not delivered within 60 s");
          assertEquals(null, setUpFailed.get());
          longest = Math.max(longest, wall);
        }
        assertTrue(longest > 2 * config.handOffAfter().toNanos(), "the thread never waited long for a core "
            + "(longest " + longest / 1000 + " µs in the code): the test proves nothing");
        assertEquals(0, host.takeOvers(), "a thread waiting for a core was taken over");
      } finally {
        hogRuns.set(false);
        for (Thread hog : hogs) {
          hog.join(10_000);
        }
      }
      peer.close();
    }
  }

  @Test
  void framesQueuedWhileTheTransportClosesAreReleasedExactlyOnce() throws Exception {
    // Threads that must not wait queue their frames (slots of their own) while the ring is full; the
    // transport closes meanwhile. The queue has one consumer at a time, so every queued slot comes
    // back exactly once: none leaks, none is freed twice.
    for (int round = 0; round < 20; round++) {
      Path roundDir = dir.resolve("r" + round);
      try (HubHost host = HubHost.create(CONFIG.toBuilder().directory(roundDir).build())) {
        HubHost.Reservation r = host.reservePeer("slow", true);
        HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "slow", CONFIG);
        r.transport().start(new Recording());
        // The plugin never starts reading: the host's ring to it fills.
        for (int i = 0; i < CONFIG.ringCapacity(); i++) {
          send(r.transport(), FrameKind.CALL_START, i + 1, 4, Long.MAX_VALUE);
        }
        List<Thread> senders = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int t = 0; t < 3; t++) {
          int thread = t;
          senders.add(new Thread(() -> {
            try {
              go.await();
              for (int i = 0; i < 20; i++) {
                send(r.transport(), FrameKind.CANCEL, 1000L * thread + i, 300, Transport.NO_WAIT);
              }
            } catch (StatusException e) {
              // closed under it: fine, as long as nothing leaks
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }));
        }
        senders.forEach(Thread::start);
        go.countDown();
        Thread.yield();
        // The plugin starts reading, so the receive loop flushes the queue into the ring, while this
        // thread closes the transport and so releases the same queue: one must not steal from the other.
        peer.transport().start(new Recording());
        r.transport().close(Status.UNAVAILABLE.withDescription("closed by the test"));
        for (Thread s : senders) {
          s.join(10_000);
          assertFalse(s.isAlive());
        }
        Conditions.waitUntil("the plugin is reclaimed", 10, () -> host.peersInUse() == 0);
        assertEquals(0, r.transport().overflowDepth(), "frames left in the queue");
        assertTrue(host.snapshot().poolFullyFree(), "round " + round + ": " + host.snapshot());
        peer.close();
      }
    }
  }
}
