package dev.spoke.shm;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.testing.ChildJvm;
import dev.spoke.testing.Figures;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub across real processes: the host here, plugins in child JVMs. Soak mode: {@code
 * -Dspoke.soak=true} multiplies the repetitions.
 */
class HubCrossProcessTest {

  static final boolean SOAK = Boolean.getBoolean("spoke.soak");
  static final Figures FIGURES = new Figures();

  static final HubConfig SMALL = HubConfig.builder()
      .maxPeers(8)
      .ringCapacity(256)
      .sizeClasses(SizeClass.of(1024, 256), SizeClass.of(16 << 10, 64), SizeClass.of(256 << 10, 16), SizeClass.of(1 << 20, 4))
      .build();

  @TempDir
  Path dir;

  @AfterAll
  static void writeFigures() throws IOException {
    FIGURES.writeTo(Paths.get("target", SOAK ? "reliability-figures-soak.md" : "reliability-figures.md"));
  }

  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  private HubHost host(HubConfig config) throws Exception {
    HubHost host = HubHost.create(config.toBuilder().directory(dir).build());
    cleanup.add(host);
    return host;
  }

  private ChildJvm child(String... args) throws Exception {
    ChildJvm c = ChildJvm.start(HubTestChild.class, args);
    cleanup.add(c);
    return c;
  }

  private static String[] join(String mode, Path hub, HubHost.Reservation r, String... more) {
    String[] base = {mode, hub.toString(), String.valueOf(r.peerId()), r.token()};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }


  /** A listener that counts frames and hands the host's transport to nothing else. */
  static final class Counting implements FrameListener {
    final AtomicLong frames = new AtomicLong();
    final LinkedBlockingQueue<Long> callIds = new LinkedBlockingQueue<>();
    volatile Status closed;
    volatile boolean recordIds;

    @Override
    public void onFrame(FrameHeader header, ByteBuffer payload) {
      frames.incrementAndGet();
      if (recordIds) {
        callIds.add(header.callId());
      }
    }

    @Override
    public void onTransportClosed(Status status) {
      closed = status;
    }
  }

  static void assertPoolWhole(HubHost host) {
    HubSnapshot s = host.snapshot();
    assertTrue(s.poolFullyFree(), () -> "the pool is not 100% free:\n" + s);
    // Processes are killed here mid-traffic: the slots-in-use counts may drift by the kills that landed
    // between a slot's change and its count (documented); the lists themselves must be whole.
    SlotAllocatorTest.assertListsIntact(host.memory(), host.layout(), false);
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void eightProducerThreadsIntoOneRingConsumedInAnotherProcess() throws Exception {
    HubHost host = host(SMALL);
    HubHost.Reservation r = host.reservePeer("consumer", true);
    r.transport().start(new Counting());
    int threads = 8;
    int perThread = SOAK ? 1_000_000 : 100_000;
    ChildJvm c = child(join("consume", host.path(), r, String.valueOf(threads), String.valueOf(perThread)));
    c.awaitLine("READY", 30, TimeUnit.SECONDS);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> producers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread p = new Thread(() -> {
        try {
          go.await();
          for (long seq = 0; seq < perThread; seq++) {
            long id = ((long) thread << 32) | seq;
            OutboundFrame f = r.transport().claim(16, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
            f.payload().putLong(0, id).putLong(8, ~id);
            f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(id)
                .methodId(thread).credits((int) seq).timeoutNanos(id ^ HubTestChild.TIMEOUT_XOR);
            f.commit();
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      producers.add(p);
      p.start();
    }
    go.countDown();
    for (Thread p : producers) {
      p.join();
    }
    assertTrue(failures.isEmpty(), () -> "producers failed: " + failures);
    String done = c.awaitLine("DONE", 120, TimeUnit.SECONDS);
    String[] w = done.split(" ", 4);
    assertEquals((long) threads * perThread, Long.parseLong(w[1]), done);
    assertEquals(0, Long.parseLong(w[2]), "lost, duplicated or torn descriptors: " + done);
    assertTrue((long) threads * perThread / SMALL.ringCapacity() > 3000, "the ring wrapped thousands of times");
    FIGURES.count("descriptors from 8 threads into one ring, read in another process", (long) threads * perThread);
    FIGURES.count("descriptors lost, duplicated or torn", Long.parseLong(w[2]));
  }

  @Test
  void allocatorStressFromThreeProcessesStampsEverySlot() throws Exception {
    HubHost host = host(SMALL);
    int iterations = SOAK ? 500_000 : 60_000;
    List<ChildJvm> children = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      HubHost.Reservation r = host.reservePeer("allocator-" + i, true);
      r.transport().start(new Counting());
      children.add(child(join("alloc", host.path(), r, String.valueOf(iterations))));
    }
    for (ChildJvm c : children) {
      c.awaitLine("READY", 30, TimeUnit.SECONDS);
    }
    SlotAllocator hostSlots = new SlotAllocator(host.memory(), host.layout());
    for (ChildJvm c : children) {
      c.send("GO");
    }
    StringBuilder first = new StringBuilder();
    long hostFailures = HubTestChild.stampAndCheck(hostSlots, SlotDescriptor.HOST_ID, iterations, new Random(99), first);
    assertEquals(0, hostFailures, "host: " + first);
    for (ChildJvm c : children) {
      String done = c.awaitLine("DONE", 120, TimeUnit.SECONDS);
      assertEquals("0", done.split(" ")[2], done);
    }
    waitUntil("both allocators detach and are reclaimed", 10, () -> host.peersInUse() == 0);
    assertPoolWhole(host);
    FIGURES.count("slot allocations raced by three processes, each stamped and checked", 3L * iterations);
  }

  @Test
  void hundredThousandPingPongsInLowCpuModeLoseNoWakeUp() throws Exception {
    HubConfig lowCpu = SMALL.toBuilder().idleStrategy(IdleStrategy.LOW_CPU).build();
    HubHost host = host(lowCpu);
    HubHost.Reservation r = host.reservePeer("echo", true);
    Thread me = Thread.currentThread();
    AtomicLong echoed = new AtomicLong(-1);
    r.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        echoed.set(header.callId());
        LockSupport.unpark(me);
      }

      @Override
      public void onTransportClosed(Status status) {
        LockSupport.unpark(me);
      }
    });
    ChildJvm c = child(join("echo", host.path(), r, IdleStrategy.LOW_CPU.name()));
    c.awaitLine("READY", 30, TimeUnit.SECONDS);
    int rounds = SOAK ? 1_000_000 : 100_000;
    for (int i = 0; i < rounds; i++) {
      OutboundFrame f = r.transport().claim(8, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
      f.payload().putLong(0, i);
      f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(i);
      f.commit();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (echoed.get() != i) {
        if (System.nanoTime() - deadline > 0) {
          fail("round trip " + i + " never came back: a lost wake-up\n" + host.snapshot());
        }
        LockSupport.parkNanos(this, 1_000_000);
      }
    }
    FIGURES.count("round trips between parked sides (LOW_CPU), each needing two wake-ups, none lost", rounds);
  }

  @Test
  void peerKilledMidTrafficIsReclaimedCompletelyAndItsEntryReused() throws Exception {
    HubHost host = host(SMALL);
    LinkedBlockingQueue<String> gone = new LinkedBlockingQueue<>();
    host.onPeerGone((peer, reason) -> gone.add(peer + ": " + reason));
    Random rnd = new Random(7);
    int rounds = SOAK ? 100 : 6;
    for (int round = 0; round < rounds; round++) {
      HubHost.Reservation r = host.reservePeer("victim", false);
      Counting counting = new Counting();
      r.transport().start(counting);
      ChildJvm c = child(join("stream", host.path(), r));
      c.awaitLine("STREAMING", 30, TimeUnit.SECONDS);
      // Traffic the other way too, so descriptors and slots are in flight towards the victim.
      AtomicBoolean stop = new AtomicBoolean();
      Thread sender = new Thread(() -> {
        try {
          for (long i = 0; !stop.get(); i++) {
            OutboundFrame f = r.transport().claim((int) (i % 3 == 0 ? 100_000 : 100), System.nanoTime() + 2_000_000_000L);
            f.header().clear().kind(FrameKind.RESPONSE_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(i);
            f.commit();
          }
        } catch (StatusException e) {
          // expected once the victim dies
        }
      });
      sender.start();
      Thread.sleep(rnd.nextInt(40));
      c.kill9();
      String reason = gone.poll(10, TimeUnit.SECONDS);
      stop.set(true);
      sender.join(5_000);
      assertTrue(reason != null, "the killed peer was never reclaimed");
      assertTrue(reason.contains("exited"), reason);
      assertTrue(counting.closed != null && counting.closed.getCode() == Status.Code.UNAVAILABLE, "transport closed UNAVAILABLE");
      assertPoolWhole(host);
      FIGURES.count("peers killed with SIGKILL mid-traffic, reclaimed with the pool whole after", 1);
    }
    // The entry is usable again: a fresh plugin attaches and answers.
    HubHost.Reservation r = host.reservePeer("after", true);
    Counting counting = new Counting();
    counting.recordIds = true;
    r.transport().start(counting);
    ChildJvm echo = child(join("echo", host.path(), r, IdleStrategy.BALANCED.name()));
    echo.awaitLine("READY", 30, TimeUnit.SECONDS);
    OutboundFrame f = r.transport().claim(0, Long.MAX_VALUE);
    f.header().clear().kind(FrameKind.REQUEST_MESSAGE).callId(4242);
    f.commit();
    Long back = counting.callIds.poll(10, TimeUnit.SECONDS);
    assertEquals(4242L, back);
  }

  @Test
  void aPluginThatReadsGarbageFromTheHostLeavesAndSaysSo() throws Exception {
    // The host's ring to the plugin carries a descriptor the plugin cannot trust. The plugin must tell
    // its application (the host-gone callback, on which SpokePeer exits) and leave; the host then
    // reclaims it. Before, the plugin detached silently and its process lived on.
    HubHost host = host(SMALL);
    LinkedBlockingQueue<String> gone = new LinkedBlockingQueue<>();
    host.onPeerGone((peer, reason) -> gone.add(reason));
    HubHost.Reservation r = host.reservePeer("leaver", true);
    r.transport().start(new Counting());
    ChildJvm c = child(join("leave-when-told", host.path(), r));
    c.awaitLine("READY", 30, TimeUnit.SECONDS);
    DescriptorRing out = r.transport().outRing();
    long position = out.tryClaim(r.epoch());
    long e = out.entryOffset(position);
    SharedBuffer mem = host.memory();
    mem.putByte(e + FrameDescriptor.KIND_OFFSET, (byte) FrameKind.RESPONSE_MESSAGE.code());
    mem.putByte(e + FrameDescriptor.MODE_OFFSET, FrameDescriptor.MODE_INLINE);
    mem.putInt(e + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, -1);
    out.publish(position);
    if (out.isConsumerParked()) {
      new Doorbell(mem, host.layout().peerEntryOffset(r.peerId()) + PeerEntryDescriptor.DOORBELL_OFFSET).wake();
    }
    String told = c.awaitLine("HOSTGONE", 10, TimeUnit.SECONDS);
    assertTrue(told.contains("inline payload length -1"), told);
    assertEquals(3, c.waitFor(10, TimeUnit.SECONDS), "the plugin did not exit when it left");
    String reason = gone.poll(10, TimeUnit.SECONDS);
    assertTrue(reason != null, "the host never reclaimed the plugin that left");
    assertPoolWhole(host);
  }

  @Test
  void garbageOverSlotRecordsIsReconciledAndThePoolComesBackWhole() throws Exception {
    // A hostile process writes raw words over slot records — garbage, parties that are not live, slots
    // "in flight" that no descriptor names — while a well-behaved plugin serves byte-checked traffic.
    // The host's pool check must give every such slot back, with no good call lost.
    // The default pool, so the slots scribbled over are far from those the traffic uses.
    HubConfig fast = HubConfig.builder().maxPeers(4).heartbeatInterval(java.time.Duration.ofMillis(100)).build();
    HubHost host = host(fast);
    HubHost.Reservation r = host.reservePeer("good", true);
    Counting counting = new Counting();
    counting.recordIds = true;
    r.transport().start(counting);
    ChildJvm echo = child(join("echo", host.path(), r, IdleStrategy.BALANCED.name()));
    echo.awaitLine("READY", 30, TimeUnit.SECONDS);
    int good = r.peerId();
    long h = SlotDescriptor.HOST_ID;
    String[] writes = {
      // Slots the good plugin's traffic is not using (free lists hand out low indices first).
      "0:1021:" + Long.toHexString(0xDEADBEEFCAFEF00DL), // garbage
      "0:1022:" + Long.toHexString(SlotDescriptor.stateWord(7, 9, 1, 2)), // an unknown state
      "0:1023:" + Long.toHexString(SlotDescriptor.stateWord(7, SlotDescriptor.ALLOCATED, 200, SlotDescriptor.NOBODY)),
      "1:254:" + Long.toHexString(SlotDescriptor.stateWord(7, SlotDescriptor.IN_FLIGHT, (int) h, good)), // named by nothing
      "1:255:" + Long.toHexString(SlotDescriptor.stateWord(7, SlotDescriptor.IN_FLIGHT, good, (int) h)),
      "2:31:" + Long.toHexString(SlotDescriptor.stateWord(7, SlotDescriptor.IN_FLIGHT, 3, 2)), // between two plugins
    };
    String[] args = new String[writes.length + 2];
    args[0] = "scribble";
    args[1] = host.path().toString();
    System.arraycopy(writes, 0, args, 2, writes.length);
    ChildJvm hostile = child(args);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong sent = new AtomicLong();
    Thread traffic = new Thread(() -> {
      try {
        for (long i = 0; !stop.get(); i++) {
          OutboundFrame f = r.transport().claim((int) (i % 4 == 0 ? 3_000 : 40), System.nanoTime() + 5_000_000_000L);
          f.payload().put(new byte[f.payload().remaining()]);
          f.header().clear().kind(FrameKind.RESPONSE_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(i);
          f.commit();
          sent.incrementAndGet();
        }
      } catch (StatusException e) {
        counting.closed = e.getStatus();
      }
    });
    traffic.start();
    hostile.awaitLine("SCRIBBLED", 30, TimeUnit.SECONDS);
    try {
      waitUntil("the host reconciles the scribbled slots", 20, () -> reconciledSoFar(host));
    } finally {
      stop.set(true);
      traffic.join(10_000);
    }
    assertEquals(null, counting.closed, "the good plugin's traffic failed");
    waitUntil("every frame sent comes back", 20, () -> counting.frames.get() >= sent.get());
    for (long i = 0; i < sent.get(); i++) {
      assertEquals(i, counting.callIds.poll(5, TimeUnit.SECONDS), "frames of the good plugin were lost or reordered");
    }
    waitUntil("the pool is whole: every slot free and on its list once", 20, () -> host.poolProblems() == null);
    FIGURES.count("slot records scribbled over by a hostile process, reconciled with the pool whole after", writes.length);
  }

  /** True once no slot is in a state only the scribbler could have put it in. */
  private static boolean reconciledSoFar(HubHost host) {
    for (int c = 0; c < host.layout().classCount(); c++) {
      for (int i = 0; i < host.layout().classes.get(c).slotCount(); i++) {
        long w = host.memory().getLongVolatile(host.layout().slotRecordOffset(c, i));
        if (SlotDescriptor.generation(w) == 7 && SlotDescriptor.state(w) != SlotDescriptor.FREE) {
          return false;
        }
        if (w == 0xDEADBEEFCAFEF00DL) {
          return false;
        }
      }
    }
    return true;
  }

  @Test
  void rogueDescriptorsAreRejectedAndOtherPeersAreUnaffected() throws Exception {
    HubHost host = host(SMALL.toBuilder().maxPeers(16).build());
    LinkedBlockingQueue<String> gone = new LinkedBlockingQueue<>();
    host.onPeerGone((peer, reason) -> gone.add(reason));

    // A well-behaved plugin, pinged throughout.
    HubHost.Reservation good = host.reservePeer("good", true);
    Counting goodCounts = new Counting();
    goodCounts.recordIds = true;
    good.transport().start(goodCounts);
    ChildJvm echo = child(join("echo", host.path(), good, IdleStrategy.BALANCED.name()));
    echo.awaitLine("READY", 30, TimeUnit.SECONDS);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong pings = new AtomicLong();
    ConcurrentLinkedQueue<String> pingFailures = new ConcurrentLinkedQueue<>();
    Thread pinger = new Thread(() -> {
      try {
        for (long i = 0; !stop.get(); i++) {
          OutboundFrame f = good.transport().claim(8, System.nanoTime() + 5_000_000_000L);
          f.payload().putLong(0, i);
          f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(i);
          f.commit();
          Long back = goodCounts.callIds.poll(5, TimeUnit.SECONDS);
          if (back == null || back != i) {
            pingFailures.add("ping " + i + " came back as " + back);
            return;
          }
          pings.incrementAndGet();
        }
      } catch (Exception e) {
        pingFailures.add(e.toString());
      }
    });
    pinger.start();

    ChildJvm rogue = child("rogue", host.path().toString());
    rogue.awaitLine("READY", 30, TimeUnit.SECONDS);
    int cases = SOAK ? 50_000 : 2_400;
    int rejected = 0;
    int delivered = 0;
    int padding = 0;
    for (int n = 0; n < cases; n++) {
      HubHost.Reservation r = host.reservePeer("rogue", false);
      Counting counting = new Counting();
      r.transport().start(counting);
      rogue.send("case " + r.peerId() + " " + r.token() + " " + n);
      String sent = rogue.awaitLine("SENT " + n, 10, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      String reason = null;
      boolean isPadding = sent.endsWith("a padding entry now");
      while (!isPadding && reason == null && counting.frames.get() == 0 && System.nanoTime() < deadline) {
        reason = gone.poll(1, TimeUnit.MILLISECONDS);
      }
      if (isPadding) {
        // A valid entry that carries nothing: the host steps over it.
        waitUntil("the host steps over the padding of " + sent, 10, () -> host.snapshot().peers.stream()
            .anyMatch(peer -> peer.id == r.peerId() && peer.toHost.depth == 0));
        assertEquals(0, counting.frames.get(), "padding delivered as a frame");
        padding++;
        host.releasePeer(r, "case over");
        reason = gone.poll(10, TimeUnit.SECONDS);
        assertTrue(reason != null && reason.contains("case over"), "case " + n + ": " + reason);
      } else if (reason == null && counting.frames.get() > 0) {
        delivered++; // garbage that happens to be a well-formed frame: the call layer drops it
        host.releasePeer(r, "case over");
        reason = gone.poll(10, TimeUnit.SECONDS);
        assertTrue(reason != null && reason.contains("case over"), "case " + n + ": " + reason);
      } else {
        assertTrue(reason != null, "case " + n + " (" + sent + ") was neither rejected nor delivered");
        assertTrue(reason.contains("bad descriptor"), "case " + n + ": " + reason);
        rejected++;
      }
      if (n % 200 == 0) {
        assertPoolWholeExcept(host, good);
      }
    }
    rogue.send("quit");
    stop.set(true);
    pinger.join(10_000);
    assertTrue(pingFailures.isEmpty(), () -> "the good plugin was disturbed: " + pingFailures);
    assertTrue(pings.get() > 0);
    assertTrue(rejected >= cases * 10 / 12, "every deliberately broken case is rejected: " + rejected + " of " + cases);
    assertEquals(cases, rejected + delivered + padding);
    assertPoolWholeExcept(host, good);
    FIGURES.count("broken descriptors written by a rogue process", cases);
    FIGURES.count("broken descriptors rejected, disconnecting the rogue", rejected);
    FIGURES.count("broken descriptors well-formed by chance, delivered to the call layer", delivered);
    FIGURES.count("broken descriptors that became valid padding entries by chance, stepped over", padding);
    FIGURES.count("pings of a good plugin answered meanwhile", pings.get());
  }

  /** The pool is whole apart from slots in flight to or from {@code busy}. */
  private static void assertPoolWholeExcept(HubHost host, HubHost.Reservation busy) {
    HubSnapshot s = host.snapshot();
    for (HubSnapshot.ClassUsage u : s.pool) {
      for (String owner : u.owners.keySet()) {
        assertTrue(owner.contains("peer " + busy.peerId()) || owner.equals("host"),
            () -> "slots held by " + owner + " after its reclaim:\n" + s);
      }
    }
  }
}
