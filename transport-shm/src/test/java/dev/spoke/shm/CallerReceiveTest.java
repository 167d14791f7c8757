package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spoke.Status;
import dev.spoke.testing.Conditions;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller polling a ring for its own response and giving it back at random moments, while the
 * receive loop parks and wakes: the hand-off between them must never strand a frame (a stranded frame
 * is a lost wake-up, and shows up here as a timeout).
 */
class CallerReceiveTest {

  static final boolean SOAK = Boolean.getBoolean("spoke.soak");

  @TempDir
  Path dir;

  @Test
  void framesAreNeverStrandedBetweenCallersAndAParkingLoop() throws Exception {
    // The loop parks often (LOW_CPU) and its safety-net wake-up is far beyond this test's bound, so a
    // frame stranded by a broken hand-off cannot be rescued by it.
    HubConfig lowCpu = SlotAllocatorTest.SMALL.toBuilder().idleStrategy(IdleStrategy.LOW_CPU)
        .parkLimit(java.time.Duration.ofSeconds(60)).directory(dir).build();
    try (HubHost host = HubHost.create(lowCpu)) {
      HubHost.Reservation r = host.reservePeer("sender", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "sender", lowCpu);
      AtomicLong lastDelivered = new AtomicLong(-1);
      AtomicReference<String> deliveredOn = new AtomicReference<>();
      r.transport().start(new FrameListener() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          lastDelivered.set(header.callId());
          deliveredOn.set(Thread.currentThread().getName());
        }

        @Override
        public void onTransportClosed(Status status) {}
      });
      peer.transport().start(PollingCaller.IGNORING);
      // A caller that polls the host's side in bursts of random length, then lets go.
      AtomicBoolean stop = new AtomicBoolean();
      Thread caller = new Thread(() -> {
        Random rnd = new Random(1);
        while (!stop.get()) {
          int spins = rnd.nextInt(200);
          for (int i = 0; i < spins; i++) {
            r.transport().receiveOnCallerThread(4);
          }
          r.transport().endReceiveOnCallerThread();
          if (rnd.nextInt(8) == 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(rnd.nextInt(300_000));
          }
        }
      }, "test-caller");
      caller.start();
      try {
        int frames = SOAK ? 1_000_000 : 100_000;
        for (long i = 0; i < frames; i++) {
          OutboundFrame f = peer.transport().claim(0, Long.MAX_VALUE);
          f.header().clear().kind(FrameKind.RESPONSE_MESSAGE).callId(i);
          f.commit();
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
          while (lastDelivered.get() != i) {
            if (System.nanoTime() - deadline > 0) {
              fail("frame " + i + " was stranded: neither the caller nor the loop delivered it\n" + host.snapshot());
            }
            Thread.onSpinWait();
          }
        }
      } finally {
        stop.set(true);
        caller.join();
      }
      long byCallers = r.transport().framesDeliveredByCallers();
      assertTrue(byCallers > 0, "the caller never delivered a frame itself");
      assertTrue(byCallers < (SOAK ? 1_000_000 : 100_000), "the loop never delivered a frame either");
      peer.close();
    }
  }

  /**
   * A caller that keeps polling while only responses come keeps the role: every response is its own to
   * deliver, even one published while the caller looks at the ring. A caller that judged "frames left
   * after my batch" by looking again would read such a late response as a frame for the loop and hand
   * it over (waking the loop, were it parked): that would show here as frames delivered by the loop.
   */
  @Test
  void aCallerPollingOnlyResponsesKeepsTheRoleAndDeliversEveryOne() throws Exception {
    HubConfig config = SlotAllocatorTest.SMALL.toBuilder().directory(dir).build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("sender", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "sender", config);
      AtomicLong delivered = new AtomicLong();
      AtomicLong byOthers = new AtomicLong();
      AtomicReference<Thread> caller = new AtomicReference<>();
      r.transport().start(new FrameListener() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          if (Thread.currentThread() != caller.get()) {
            byOthers.incrementAndGet();
          }
          delivered.incrementAndGet();
        }

        @Override
        public void onTransportClosed(Status status) {}
      });
      peer.transport().start(PollingCaller.IGNORING);
      int frames = SOAK ? 2_000_000 : 200_000;
      PollingCaller polling = new PollingCaller(r.transport(), "test-caller");
      caller.set(polling.thread());
      try {
        // Whoever holds the role first takes the first frames; once the caller delivered one it holds
        // the role, and keeps it from then on.
        long sent = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (r.transport().framesDeliveredByCallers() == 0) {
          if (System.nanoTime() - deadline > 0) {
            fail("the caller never took the role in 10 s");
          }
          send(peer, sent++);
        }
        long before = sent;
        Conditions.waitUntil("the first frames delivered", 10, () -> delivered.get() == before);
        byOthers.set(0);
        for (int i = 0; i < frames; i++) {
          send(peer, sent++);
        }
        long total = sent;
        Conditions.waitUntil("every frame delivered", 30, () -> delivered.get() == total);
      } finally {
        polling.stop();
      }
      assertEquals(0, byOthers.get(), "responses the caller handed to the loop while it kept polling");
      peer.close();
    }
  }

  /**
   * A busy-spinning loop whose frames are all taken by blocking callers (each call taking the role
   * afresh, as blocking calls do) has nothing to do: it parks rather than spin, leaving the cores to the
   * callers and the other side — and a frame no caller takes still reaches it at once. Its park limit
   * is far beyond this test's bounds, so only the caller's hand-back can wake it in time.
   */
  @Test
  void aBusySpinLoopLeavesTheCoreToCallersThatTakeTheirOwnResponses() throws Exception {
    try (BusyLoop busy = new BusyLoop()) {
      HubHost.Reservation r = busy.r;
      HubPeer peer = busy.peer;
      AtomicLong delivered = busy.delivered;
      AtomicReference<Thread> loopThread = busy.loopThread;
      AtomicReference<Thread> caller = busy.caller;
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      long loopId = loopThread.get().getId();
      // One "call" after another: poll until a frame came, give the role back, start again.
      AtomicBoolean stop = new AtomicBoolean();
      Thread callerThread = new Thread(() -> {
        while (!stop.get()) {
          long before = delivered.get();
          while (delivered.get() == before && !stop.get()) {
            r.transport().receiveOnCallerThread(4);
          }
          r.transport().endReceiveOnCallerThread();
        }
      }, "test-caller");
      caller.set(callerThread);
      callerThread.start();
      long sent = 1;
      double loopShare;
      try {
        long warmEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        long cpuBefore = 0;
        long wallBefore = 0;
        for (int phase = 0; phase < 2; phase++) {
          long end = phase == 0 ? warmEnd : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(700);
          while (System.nanoTime() - end < 0) {
            long expected = delivered.get() + 1;
            send(peer, sent++);
            Conditions.waitUntil("frame " + (sent - 1) + " delivered", 10, () -> delivered.get() >= expected);
          }
          if (phase == 0) {
            cpuBefore = threads.getThreadCpuTime(loopId);
            wallBefore = System.nanoTime();
          }
        }
        loopShare = (threads.getThreadCpuTime(loopId) - cpuBefore) / (double) (System.nanoTime() - wallBefore);
      } finally {
        stop.set(true);
        callerThread.join();
      }
      // Spinning, the loop takes what a core it shares with two spinning threads gives it: well over half.
      assertTrue(loopShare < 0.2, "the busy-spin loop used " + Math.round(loopShare * 100)
          + "% of a core while callers took every frame themselves");
      // No caller now: the frame is the loop's, and the last caller's hand-back armed its doorbell.
      long expected = delivered.get() + 1;
      Thread before = loopThread.getAndSet(null);
      send(peer, sent);
      Conditions.waitUntil("the loop delivered a frame no caller took", 5, () -> delivered.get() >= expected);
      assertTrue(loopThread.get() != null, "delivered by " + before + ", not by the loop");
    }
  }

  /**
   * A busy-spinning loop while a blocking caller waits on its ring for a response that has not come
   * (a slow call): the caller spins and will take its response itself, so the loop has nothing to do
   * and parks rather than spin — on a machine of two cores a third spinning thread beside the caller
   * and the other side's loop, which raced the caller for its frames and put a 16 B call's p99 at 60
   * times its p50. A caller that stops spinning to park sets the loop spinning again (else a slow
   * call's response would wait for the loop's wake-up, then the caller's), and a frame that comes then
   * reaches the loop.
   */
  @Test
  void aBusySpinLoopParksWhileCallersWaitOnItsRings() throws Exception {
    try (BusyLoop busy = new BusyLoop()) {
      Thread loop = busy.loopThread.get();
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      AtomicBoolean stop = new AtomicBoolean();
      Thread caller = new Thread(() -> {
        while (!stop.get()) {
          busy.r.transport().receiveOnCallerThread(4); // nothing comes: the call is slow
        }
        busy.r.transport().endReceiveOnCallerThread();
      }, "test-caller");
      busy.caller.set(caller);
      double loopShare;
      caller.start();
      try {
        ReceiveLoop waiting = busy.r.transport().receiveLoop();
        Conditions.waitUntil("the loop parks while the caller looks", 10, waiting::isParked);
        long cpuBefore = threads.getThreadCpuTime(loop.getId());
        long wallBefore = System.nanoTime();
        Thread.sleep(500); // the window the loop's CPU is measured over, not a wait for a condition
        loopShare = (threads.getThreadCpuTime(loop.getId()) - cpuBefore) / (double) (System.nanoTime() - wallBefore);
      } finally {
        stop.set(true);
        caller.join();
      }
      // Parked, it uses nothing; spinning, it took 17-55% of a core beside the caller and the other side.
      assertTrue(loopShare < 0.05, "the busy-spin loop used " + Math.round(loopShare * 100)
          + "% of a core while a caller waited on its ring");
      ReceiveLoop receiveLoop = busy.r.transport().receiveLoop();
      assertTrue(receiveLoop.isParked(), "the loop parked while the caller looked");
      busy.r.transport().callerParks(); // as a blocking caller does when its spin runs out
      Conditions.waitUntil("the loop spins again once the caller parks", 5, () -> !receiveLoop.isParked());
      busy.loopThread.set(null);
      send(busy.peer, 1);
      Conditions.waitUntil("the loop delivered a frame once the caller stopped waiting", 5,
          () -> busy.delivered.get() == 2);
      assertEquals(loop, busy.loopThread.get(), "delivered by the loop");
    }
  }

  /**
   * A host whose loop busy-spins (its park limit far beyond the tests' bounds, so that only a ring wakes
   * it in time), and a peer that sends to it; counts the frames delivered and notes the thread of the
   * last one not delivered by {@link #caller}. The loop delivers a first frame itself, so that its
   * thread is known.
   */
  private final class BusyLoop implements AutoCloseable {
    final HubHost host;
    final HubHost.Reservation r;
    final HubPeer peer;
    final AtomicLong delivered = new AtomicLong();
    final AtomicReference<Thread> loopThread = new AtomicReference<>();
    final AtomicReference<Thread> caller = new AtomicReference<>();

    BusyLoop() throws Exception {
      HubConfig busy = SlotAllocatorTest.SMALL.toBuilder().idleStrategy(IdleStrategy.BUSY_SPIN)
          .parkLimit(java.time.Duration.ofSeconds(60)).directory(dir).build();
      host = HubHost.create(busy);
      r = host.reservePeer("sender", true);
      peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "sender", busy);
      r.transport().start(new FrameListener() {
        @Override
        public void onFrame(FrameHeader header, ByteBuffer payload) {
          if (Thread.currentThread() != caller.get()) {
            loopThread.set(Thread.currentThread());
          }
          delivered.incrementAndGet();
        }

        @Override
        public void onTransportClosed(Status status) {}
      });
      peer.transport().start(PollingCaller.IGNORING);
      send(peer, 0);
      Conditions.waitUntil("the loop delivered a frame", 10, () -> loopThread.get() != null);
    }

    @Override
    public void close() {
      peer.close();
      host.close();
    }
  }

  private static void send(HubPeer peer, long callId) throws Exception {
    OutboundFrame f = peer.transport().claim(0, Long.MAX_VALUE);
    f.header().clear().kind(FrameKind.RESPONSE_MESSAGE).callId(callId);
    f.commit();
  }
}
