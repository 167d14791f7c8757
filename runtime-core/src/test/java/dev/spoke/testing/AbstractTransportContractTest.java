package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.internal.InboundDelivery;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link Transport} and {@link OutboundFrame}, as their Javadoc states it, run against
 * every implementation (the in-memory pair here, the hub in transport-shm), so that the call layer can
 * rely on it whatever carries its frames.
 *
 * <p>Each test uses two connected ends, {@code a} and {@code b}. Frames carry a sequence in their call
 * id, every other header field derived from it, and a payload of bytes derived from it, so the receiver
 * checks every field and every byte of every frame. Waits are bounds that turn a hang into a failure,
 * never speed assertions. After each test both ends are closed and must hold nothing (for the hub: the
 * pool is whole).
 *
 * <p>{@code -Dspoke.soak=true} multiplies the repetitions.
 */
public abstract class AbstractTransportContractTest {

  /** How long a test waits for something that should happen promptly before calling it a hang. */
  protected static final long WAIT_SECONDS = 30;
  protected static final boolean SOAK = Boolean.getBoolean("spoke.soak");

  /** Two connected ends, not started, and what releases them. */
  protected static final class Endpoints {
    public final Transport a;
    public final Transport b;
    public final AutoCloseable cleanup;

    private boolean cleanedUp;
    private volatile boolean closed;

    public Endpoints(Transport a, Transport b, AutoCloseable cleanup) {
      this.a = a;
      this.b = b;
      this.cleanup = cleanup;
    }

    /** Closes one end (which closes the pair); tests close ends only through here. */
    void close(Transport end, Status status) {
      closed = true;
      end.close(status);
    }

    /** True once the test closed either end. */
    public boolean closed() {
      return closed;
    }

    /** Runs the cleanup once: every thread of the pair has stopped when it returns. */
    void cleanUp() throws Exception {
      if (!cleanedUp) {
        cleanedUp = true;
        cleanup.close();
      }
    }
  }

  /** How much room the ends get. */
  protected enum Room {
    /** Room enough that senders seldom wait, and payloads up to the transport's limit. */
    AMPLE,
    /** Little room: a receiver that does not read fills it after {@link #tightRoom()} small frames. */
    TIGHT
  }

  /** Creates a connected pair for one test. */
  protected abstract Endpoints newEndpoints(Room room) throws Exception;

  /**
   * How many frames of at most 16 payload bytes TIGHT ends take towards an end that does not read
   * before a sender has to wait.
   */
  protected abstract int tightRoom();

  /**
   * Payload lengths that one thread of TIGHT ends can hold claimed all at once, and that together use
   * up the room a claim takes (for the hub: every slot of the pool); a claim beyond them has to wait.
   */
  protected abstract int[] tightClaims();

  /** Payload lengths where the transport changes how it carries a payload (inline, slot classes). */
  protected int[] payloadBoundaries() {
    return new int[0];
  }

  /** True if {@link Transport#receiveOnCallerThread} delivers frames (else it must always say -1). */
  protected abstract boolean callerReceiveSupported();

  /**
   * Keeps the thread that delivers {@code ends.a}'s frames busy elsewhere, without it holding {@code
   * a}'s delivery role, until the returned handle is closed: then only a caller can deliver {@code a}'s
   * frames. Needed only where {@link #callerReceiveSupported()}.
   */
  protected AutoCloseable stallReceiveThread(Endpoints ends) throws Exception {
    throw new UnsupportedOperationException("no caller receive");
  }

  /**
   * Waits (bounded) until the ends hold nothing any more: every payload buffer and every unit of room
   * back. Called with both ends quiet: every frame delivered, or the pair closed ({@link
   * Endpoints#closed()}).
   */
  protected abstract void assertNothingHeld(Endpoints ends) throws Exception;

  /** Counts a figure of this suite's run (for the reliability figures). */
  protected void count(String figure, long n) {}

  private final List<Endpoints> opened = new ArrayList<>();
  private final List<Recorder> recorders = new ArrayList<>();

  private Endpoints open(Room room) throws Exception {
    Endpoints e = newEndpoints(room);
    opened.add(e);
    return e;
  }

  @AfterEach
  void closeEndsAndCheckNothingIsHeld() throws Exception {
    for (Endpoints e : opened) {
      e.close(e.a, Status.UNAVAILABLE.withDescription("test over"));
      e.close(e.b, Status.UNAVAILABLE.withDescription("test over"));
    }
    try {
      for (Recorder r : recorders) {
        if (r.started) {
          waitUntil(r.name + " hears that its transport closed", () -> r.closes.get() > 0);
        }
      }
      for (Endpoints e : opened) {
        if (!e.cleanedUp) {
          assertNothingHeld(e);
        }
      }
    } finally {
      for (Endpoints e : opened) {
        e.cleanUp();
      }
    }
    for (Recorder r : recorders) {
      assertTrue(r.closes.get() <= 1, r.name + " heard onTransportClosed " + r.closes.get() + " times");
      assertTrue(r.problems.isEmpty(), () -> r.name + ": " + r.problems);
    }
  }

  protected static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
    Conditions.waitUntil(what, WAIT_SECONDS, condition);
  }

  // ---------------------------------------------------------------------------------------------
  // Frames whose every field and byte the receiver can check

  /** The kinds a test frame may have; derived from its id. */
  private static final FrameKind[] KINDS = FrameKind.values();

  /** A well-mixed 64-bit hash, for fields derived from a frame's id. */
  static long mix(long x) {
    x ^= x >>> 33;
    x *= 0xff51afd7ed558ccdL;
    x ^= x >>> 33;
    x *= 0xc4ceb9fe1a85ec53L;
    x ^= x >>> 33;
    return x;
  }

  /** Fills {@code h} with fields derived from {@code id}; {@code kind} null picks one from the id. */
  static FrameHeader fill(FrameHeader h, long id, FrameKind kind) {
    long m = mix(id);
    return h.clear()
        .kind(kind != null ? kind : KINDS[(int) Long.remainderUnsigned(m, KINDS.length)])
        .flags((int) (m >>> 8) & FrameHeader.KNOWN_FLAGS)
        .callId(id)
        .methodId((int) (m >>> 16))
        .status((int) (m >>> 24) & 0xFF)
        .credits((int) (m >>> 32))
        .timeoutNanos(mix(m));
  }

  /**
   * Writes the payload bytes of frame {@code id}, a stream derived from the id, from the position to
   * the limit, as a marshaller would (the position ends at the limit). The same bytes whatever the
   * buffer's byte order.
   */
  static void writePayload(ByteBuffer target, long id) {
    ByteBuffer out = target.duplicate().order(ByteOrder.BIG_ENDIAN);
    long x = mix(id) | 1;
    while (out.remaining() >= 8) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      out.putLong(x);
    }
    while (out.hasRemaining()) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      out.put((byte) x);
    }
    target.position(target.limit());
  }

  /** Null if {@code payload} (position to limit) holds exactly the bytes of frame {@code id}. */
  static String checkPayload(ByteBuffer payload, long id, int expectedLength) {
    if (payload.remaining() != expectedLength) {
      return "frame " + id + ": " + payload.remaining() + " payload bytes, expected " + expectedLength;
    }
    ByteBuffer expected = ByteBuffer.allocate(expectedLength);
    writePayload(expected, id);
    expected.flip();
    ByteBuffer got = payload.duplicate();
    int mismatch = got.mismatch(expected);
    return mismatch < 0 ? null : "frame " + id + " of " + expectedLength + " bytes differs at byte " + mismatch;
  }

  /** Null if {@code h} carries exactly the fields {@link #fill} derives from its id. */
  static String checkHeader(FrameHeader h, FrameKind kind) {
    FrameHeader expected = fill(new FrameHeader(), h.callId(), kind);
    if (h.kind() != expected.kind() || h.flags() != expected.flags() || h.methodId() != expected.methodId()
        || h.status() != expected.status() || h.credits() != expected.credits()
        || h.timeoutNanos() != expected.timeoutNanos()) {
      return "frame " + h.callId() + ": header " + h + ", expected " + expected;
    }
    return null;
  }

  /** The id of frame {@code seq} of sender {@code sender}; its payload length rides in the id too. */
  static long id(int sender, int seq, int length) {
    return ((long) sender << 56) | ((long) (seq & 0xFF_FFFF) << 32) | (length & 0xFFFF_FFFFL);
  }

  static int sender(long id) {
    return (int) (id >>> 56);
  }

  static int seq(long id) {
    return (int) (id >>> 32) & 0xFF_FFFF;
  }

  static int length(long id) {
    return (int) id;
  }

  /** Claims, fills and commits one frame; the deadline is {@code deadlineNanos} as given to claim. */
  static void send(Transport t, long id, FrameKind kind, long deadlineNanos) throws StatusException {
    OutboundFrame f = t.claim(length(id), deadlineNanos);
    fill(f.header(), id, kind);
    writePayload(f.payload(), id);
    f.commit();
  }

  static long inSeconds(long seconds) {
    return System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
  }

  /** What a listener saw: each frame checked, in arrival order, with the thread that delivered it. */
  protected class Recorder implements FrameListener {
    final String name;
    final List<Long> ids = Collections.synchronizedList(new ArrayList<>());
    final List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
    /** The kind each frame was sent with, where a test picks it; others derive it from their id. */
    final Map<Long, FrameKind> kinds = new ConcurrentHashMap<>();
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicReference<Status> closedWith = new AtomicReference<>();
    /** Deliveries running now that did not give their role up: the contract allows one at a time. */
    final AtomicInteger inside = new AtomicInteger();
    volatile FrameKind expectedKind;
    volatile boolean started;

    Recorder(String name) {
      this.name = name;
      recorders.add(this);
    }

    Recorder start(Transport t) {
      started = true;
      t.start(this);
      return this;
    }

    @Override
    public void onFrame(FrameHeader header, ByteBuffer payload) {
      if (inside.incrementAndGet() != 1) {
        problems.add("two frames delivered at once (at frame " + header.callId() + ")");
      }
      try {
        String bad = checkHeader(header, kinds.getOrDefault(header.callId(), expectedKind));
        if (bad == null) {
          bad = checkPayload(payload, header.callId(), length(header.callId()));
        }
        if (bad != null) {
          problems.add(bad);
        }
        threads.add(Thread.currentThread());
        ids.add(header.callId());
        onChecked(header, payload);
      } finally {
        inside.decrementAndGet();
      }
    }

    /** Hook for tests that act on a frame after it was checked and recorded. */
    void onChecked(FrameHeader header, ByteBuffer payload) {}

    @Override
    public void onTransportClosed(Status status) {
      // The status first: a test that saw the count waits for nothing more before it reads the status.
      closedWith.compareAndSet(null, status);
      closes.incrementAndGet();
    }

    void awaitFrames(int n) throws InterruptedException {
      waitUntil(name + " receives " + n + " frames (has " + ids.size() + ")", () -> ids.size() >= n);
    }
  }

  /** Asserts that {@code ids} are exactly {@code expected}, in that order. */
  static void assertIds(List<Long> expected, List<Long> ids, String what) {
    if (!expected.equals(ids)) {
      int i = 0;
      while (i < Math.min(expected.size(), ids.size()) && expected.get(i).equals(ids.get(i))) {
        i++;
      }
      fail(what + ": " + ids.size() + " frames, expected " + expected.size() + "; first difference at " + i
          + (i < ids.size() ? ", got id " + Long.toHexString(ids.get(i)) : "")
          + (i < expected.size() ? ", expected id " + Long.toHexString(expected.get(i)) : ""));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Payloads and headers

  @Test
  void everyPayloadSizeUpToTheLimitArrivesByteExactBothWays() throws Exception {
    Endpoints e = open(Room.AMPLE);
    Recorder atA = new Recorder("a").start(e.a);
    Recorder atB = new Recorder("b").start(e.b);
    int max = e.a.maxPayloadLength();
    assertEquals(max, e.b.maxPayloadLength(), "both ends carry the same payloads");
    TreeSet<Integer> sizes = new TreeSet<>();
    for (int n = 0; n <= Math.min(max, 1100); n++) {
      sizes.add(n); // every small size: inline limits and the smallest slots live here
    }
    for (int b : payloadBoundaries()) {
      for (int n = b - 2; n <= b + 2; n++) {
        if (n >= 0 && n <= max) {
          sizes.add(n);
        }
      }
    }
    Random rnd = new Random(7);
    for (int i = 0; i < (SOAK ? 2000 : 200); i++) {
      sizes.add(rnd.nextInt(Math.min(max, 300_000) + 1));
    }
    sizes.add(max - 1);
    sizes.add(max);
    List<Long> toB = new ArrayList<>();
    List<Long> toA = new ArrayList<>();
    int seq = 0;
    for (int size : sizes) {
      long idB = id(1, seq, size);
      long idA = id(2, seq, size);
      seq++;
      send(e.a, idB, null, inSeconds(WAIT_SECONDS));
      send(e.b, idA, null, inSeconds(WAIT_SECONDS));
      toB.add(idB);
      toA.add(idA);
    }
    atB.awaitFrames(toB.size());
    atA.awaitFrames(toA.size());
    assertTrue(atB.problems.isEmpty(), () -> "a → b: " + atB.problems);
    assertTrue(atA.problems.isEmpty(), () -> "b → a: " + atA.problems);
    assertIds(toB, atB.ids, "a → b");
    assertIds(toA, atA.ids, "b → a");
    assertNothingHeld(e);
    count("frames of every payload size up to the limit, every byte checked", 2L * sizes.size());
  }

  @Test
  void aPayloadBeyondTheLimitIsRefusedAtOnceAndTakesNothing() throws Exception {
    Endpoints e = open(Room.TIGHT);
    Recorder atB = new Recorder("b").start(e.b);
    new Recorder("a").start(e.a);
    int max = e.a.maxPayloadLength();
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      StatusException x = assertThrows(StatusException.class, () -> e.a.claim(max + 1, Long.MAX_VALUE));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, x.getStatus().getCode(), x.getStatus().toString());
      assertTrue(x.getStatus().getDescription().contains(String.valueOf(max)), "names the limit: " + x.getStatus());
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(WAIT_SECONDS / 3),
          "refused without waiting for room that can never come");
    }
    // The refusals took no room: as many small frames as ever go through.
    List<Long> sent = new ArrayList<>();
    for (int i = 0; i < tightRoom(); i++) {
      long id = id(1, i, 8);
      send(e.a, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    atB.awaitFrames(sent.size());
    assertIds(sent, atB.ids, "a → b");
    assertNothingHeld(e);
  }

  // ---------------------------------------------------------------------------------------------
  // Claim, commit, abort

  @Test
  void abortReleasesEverythingAndAFrameEndsExactlyOnce() throws Exception {
    Endpoints e = open(Room.TIGHT);
    Recorder atB = new Recorder("b").start(e.b);
    new Recorder("a").start(e.a);
    int[] claims = tightClaims();
    List<Long> committed = new ArrayList<>();
    int rounds = SOAK ? 2000 : 200;
    int seq = 0;
    for (int round = 0; round < rounds; round++) {
      // Hold the whole room claimed at once; if any earlier abort had leaked, a claim here would wait.
      OutboundFrame[] frames = new OutboundFrame[claims.length];
      long[] ids = new long[claims.length];
      for (int i = 0; i < claims.length; i++) {
        ids[i] = id(1, seq++, claims[i]);
        try {
          frames[i] = e.a.claim(claims[i], inSeconds(5));
        } catch (StatusException x) {
          throw new AssertionError("round " + round + ": claim " + i + " of " + claims[i] + " bytes found no room; "
              + "an earlier abort or commit kept what it held: " + x.getStatus(), x);
        }
        fill(frames[i].header(), ids[i], null);
        writePayload(frames[i].payload(), ids[i]);
      }
      // Round 0 aborts everything; later rounds commit one frame and abort the rest.
      int keep = round == 0 ? -1 : round % claims.length;
      for (int i = 0; i < claims.length; i++) {
        if (i == keep) {
          frames[i].commit();
          committed.add(ids[i]);
          OutboundFrame done = frames[i];
          assertThrows(IllegalStateException.class, done::commit, "a frame commits once");
          done.abort(); // a no-op after commit
        } else {
          frames[i].abort();
          frames[i].abort(); // a no-op the second time
          OutboundFrame aborted = frames[i];
          assertThrows(IllegalStateException.class, aborted::commit, "an aborted frame is never sent");
        }
      }
      if (keep >= 0) {
        // The committed frame's room comes back once it was read; then everything must be back.
        atB.awaitFrames(committed.size());
        assertNothingHeld(e);
      }
    }
    assertIds(committed, atB.ids, "a → b (aborted frames must never arrive)");
    assertNothingHeld(e);
    count("frames claimed and aborted, every claim finding its room again", (long) rounds * claims.length - committed.size());
  }

  @Test
  void twoOpenFramesOfOneThreadAreIndependent() throws Exception {
    Endpoints e = open(Room.AMPLE);
    Recorder atB = new Recorder("b").start(e.b);
    new Recorder("a").start(e.a);
    List<Long> expected = new ArrayList<>();
    int[] sizes = {0, 8, 5000, 0, 70_000, 12};
    for (int round = 0; round < 50; round++) {
      int s1 = sizes[round % sizes.length];
      int s2 = sizes[(round + 1) % sizes.length];
      long id1 = id(1, 2 * round, s1);
      long id2 = id(1, 2 * round + 1, s2);
      OutboundFrame f1 = e.a.claim(s1, inSeconds(WAIT_SECONDS));
      fill(f1.header(), id1, null);
      OutboundFrame f2 = e.a.claim(s2, inSeconds(WAIT_SECONDS));
      assertNotEquals(System.identityHashCode(f1.payload()), System.identityHashCode(f2.payload()), "one buffer lent twice");
      fill(f2.header(), id2, null);
      writePayload(f2.payload(), id2);
      writePayload(f1.payload(), id1);
      // Committed in the other order, and the first sometimes aborted.
      f2.commit();
      expected.add(id2);
      if (round % 3 == 0) {
        f1.abort();
      } else {
        f1.commit();
        expected.add(id1);
      }
    }
    atB.awaitFrames(expected.size());
    assertIds(expected, atB.ids, "a → b");
    assertNothingHeld(e);
  }

  @Test
  void aFailedCommitReleasesWhatItHeld() throws Exception {
    Endpoints e = open(Room.TIGHT);
    new Recorder("a").start(e.a);
    // b does not read: the room towards it runs out.
    List<Long> sent = new ArrayList<>();
    for (int i = 0; i < tightRoom(); i++) {
      long id = id(1, i, 8);
      send(e.a, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    int[] claims = tightClaims();
    for (int k = 0; k < claims.length; k++) {
      long id = id(1, 1000 + k, claims[k]);
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      long start = System.nanoTime();
      StatusException x = assertThrows(StatusException.class, () -> send(e.a, id, null, deadline),
          "a frame with no room towards its receiver is refused when its deadline passes");
      long waited = System.nanoTime() - start;
      Status.Code code = x.getStatus().getCode();
      assertTrue(code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.RESOURCE_EXHAUSTED, x.getStatus().toString());
      assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(150), "gave up after " + waited / 1e6 + " ms, before its deadline");
      assertTrue(waited < TimeUnit.SECONDS.toNanos(WAIT_SECONDS), "waited " + waited / 1e6 + " ms past its deadline");
    }
    // Now b reads: what was sent arrives, the refused frames do not, and nothing stays held.
    Recorder atB = new Recorder("b").start(e.b);
    atB.awaitFrames(sent.size());
    // Room is back for as many frames again.
    for (int i = 0; i < tightRoom(); i++) {
      long id = id(1, 2000 + i, 8);
      send(e.a, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    atB.awaitFrames(sent.size());
    assertIds(sent, atB.ids, "a → b");
    assertNothingHeld(e);

    // A frame claimed before its transport closes fails to commit, and releases what it held.
    OutboundFrame open = e.a.claim(claims[claims.length - 1], inSeconds(WAIT_SECONDS));
    fill(open.header(), id(1, 3000, claims[claims.length - 1]), null);
    writePayload(open.payload(), id(1, 3000, claims[claims.length - 1]));
    e.close(e.a, Status.UNAVAILABLE.withDescription("closed under a claimed frame"));
    StatusException x = assertThrows(StatusException.class, open::commit);
    assertEquals(Status.Code.UNAVAILABLE, x.getStatus().getCode(), x.getStatus().toString());
    open.abort(); // safe after a failed commit
  }

  // ---------------------------------------------------------------------------------------------
  // Ordering under concurrency

  @Test
  void concurrentProducersBothWaysLoseNothingAndKeepEachThreadsOrder() throws Exception {
    Endpoints e = open(Room.AMPLE);
    Recorder atA = new Recorder("a").start(e.a);
    Recorder atB = new Recorder("b").start(e.b);
    int threadsPerSide = 4;
    int perThread = SOAK ? 50_000 : 2_000;
    int[] sizes = {0, 1, 16, 20, 21, 100, 1000, 1024, 1025, 5000, 40_000};
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> producers = new ArrayList<>();
    for (int t = 0; t < 2 * threadsPerSide; t++) {
      int sender = t;
      Transport from = t < threadsPerSide ? e.a : e.b;
      Thread p = new Thread(() -> {
        Random rnd = new Random(sender);
        try {
          go.await();
          for (int seq = 0; seq < perThread; seq++) {
            int size = sizes[rnd.nextInt(sizes.length)];
            send(from, id(sender, seq, Math.min(size, from.maxPayloadLength())), null, inSeconds(WAIT_SECONDS));
          }
        } catch (Throwable x) {
          failures.add(x);
        }
      }, "producer-" + t);
      producers.add(p);
      p.start();
    }
    go.countDown();
    joinAll(producers, "a producer");
    assertTrue(failures.isEmpty(), () -> "producers failed: " + failures);
    atB.awaitFrames(threadsPerSide * perThread);
    atA.awaitFrames(threadsPerSide * perThread);
    assertPerSenderOrder(atB, 0, threadsPerSide, perThread);
    assertPerSenderOrder(atA, threadsPerSide, 2 * threadsPerSide, perThread);
    assertNothingHeld(e);
    count("frames from concurrent producers, both ways, order and bytes checked", 2L * threadsPerSide * perThread);
  }

  private static void assertPerSenderOrder(Recorder r, int fromSender, int toSender, int perThread) {
    assertTrue(r.problems.isEmpty(), () -> r.name + ": " + r.problems);
    int[] next = new int[toSender];
    for (long id : r.ids) {
      int s = sender(id);
      assertTrue(s >= fromSender && s < toSender, r.name + " got a frame of sender " + s);
      assertEquals(next[s], seq(id), r.name + ": sender " + s + "'s frames out of order, lost or repeated");
      next[s]++;
    }
    for (int s = fromSender; s < toSender; s++) {
      assertEquals(perThread, next[s], r.name + ": frames of sender " + s);
    }
  }

  @Test
  void aListenerThatThrowsDoesNotStopDelivery() throws Exception {
    Endpoints e = open(Room.AMPLE);
    new Recorder("a").start(e.a);
    Recorder atB = new Recorder("b") {
      @Override
      void onChecked(FrameHeader header, ByteBuffer payload) {
        if (seq(header.callId()) % 3 == 0) {
          throw new IllegalStateException("a listener bug, thrown on purpose");
        }
      }
    }.start(e.b);
    List<Long> sent = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      long id = id(1, i, i % 2 == 0 ? 8 : 3000);
      send(e.a, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    atB.awaitFrames(sent.size());
    assertIds(sent, atB.ids, "a → b");
    assertNothingHeld(e);
  }

  // ---------------------------------------------------------------------------------------------
  // Senders that must not wait

  @Test
  void noWaitFramesNeverWaitAndGoOutInOrderWhenThereIsRoom() throws Exception {
    Endpoints e = open(Room.TIGHT);
    new Recorder("a").start(e.a);
    int n = 10 * tightRoom() + 10;
    int max = e.a.maxPayloadLength();
    int[] sizes = {0, 8, 100, 1000, 3000, max};
    List<Long> sent = new ArrayList<>();
    // b reads nothing yet: everything beyond its room must queue, not wait and not fail.
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      long id = id(1, i, sizes[i % sizes.length]);
      try {
        send(e.a, id, null, Transport.NO_WAIT);
      } catch (StatusException x) {
        throw new AssertionError("frame " + i + " sent with NO_WAIT failed: " + x.getStatus(), x);
      }
      sent.add(id);
    }
    long took = System.nanoTime() - start;
    assertTrue(took < TimeUnit.SECONDS.toNanos(WAIT_SECONDS / 3), "NO_WAIT sends took " + took / 1e6 + " ms");
    // A sender with a deadline queues behind them: its frame keeps its place after theirs.
    AtomicReference<Throwable> late = new AtomicReference<>();
    long lateId = id(1, n, 8);
    Thread waiting = new Thread(() -> {
      try {
        send(e.a, lateId, null, inSeconds(WAIT_SECONDS));
      } catch (Throwable x) {
        late.set(x);
      }
    }, "sender-with-deadline");
    waiting.start();
    Recorder atB = new Recorder("b").start(e.b);
    waiting.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertFalse(waiting.isAlive(), "the sender with a deadline never got room");
    assertEquals(null, late.get(), "the sender with a deadline failed");
    sent.add(lateId);
    atB.awaitFrames(sent.size());
    assertIds(sent, atB.ids, "a → b");
    assertNothingHeld(e);
    count("frames sent with NO_WAIT into a full transport, queued and delivered in order", n);
  }

  @Test
  void aThreadThatDeliversNeverWaitsForRoom() throws Exception {
    Endpoints e = open(Room.TIGHT);
    // a does not read. b's listener answers every frame it gets with a burst towards a, with a
    // deadline far away: on the delivering thread that must queue, never wait.
    int burst = 10 * tightRoom() + 10;
    int max = e.b.maxPayloadLength();
    int[] sizes = {0, 8, 1000, 3000, max};
    List<Long> answers = new CopyOnWriteArrayList<>();
    AtomicInteger seq = new AtomicInteger();
    CountDownLatch answered = new CountDownLatch(3);
    Recorder atB = new Recorder("b") {
      @Override
      void onChecked(FrameHeader header, ByteBuffer payload) {
        try {
          for (int i = 0; i < burst; i++) {
            int s = seq.getAndIncrement();
            long id = id(2, s, sizes[s % sizes.length]);
            send(e.b, id, null, Long.MAX_VALUE);
            answers.add(id);
          }
        } catch (StatusException x) {
          problems.add("a delivering thread's send failed: " + x.getStatus());
        } finally {
          answered.countDown();
        }
      }
    }.start(e.b);
    for (int i = 0; i < 3; i++) {
      send(e.a, id(1, i, 8), null, inSeconds(WAIT_SECONDS));
    }
    assertTrue(answered.await(WAIT_SECONDS, TimeUnit.SECONDS),
        "the delivering thread waited for room that only a reader could make (" + answers.size() + " frames sent)");
    assertTrue(atB.problems.isEmpty(), () -> "b: " + atB.problems);
    Recorder atA = new Recorder("a").start(e.a);
    atA.awaitFrames(answers.size());
    assertIds(new ArrayList<>(answers), atA.ids, "b → a");
    assertNothingHeld(e);
    count("frames sent by delivering threads into a full transport, queued and delivered in order", answers.size());
  }

  // ---------------------------------------------------------------------------------------------
  // Closing

  @Test
  void closeIsHeardOnceOnBothSidesAndClaimsFailUnavailableAfter() throws Exception {
    for (int round = 0; round < (SOAK ? 20 : 3); round++) {
      Endpoints e = open(Room.AMPLE);
      Recorder atA = new Recorder("a").start(e.a);
      Recorder atB = new Recorder("b").start(e.b);
      send(e.a, id(1, 0, 8), null, inSeconds(WAIT_SECONDS));
      send(e.b, id(2, 0, 3000), null, inSeconds(WAIT_SECONDS));
      atB.awaitFrames(1);
      atA.awaitFrames(1);
      OutboundFrame open = e.b.claim(3000, inSeconds(WAIT_SECONDS));
      fill(open.header(), id(2, 1, 3000), null);
      writePayload(open.payload(), id(2, 1, 3000));
      Status why = Status.UNAVAILABLE.withDescription("closed by the test, round " + round);
      // Several threads close a at once, and b too in odd rounds: each listener hears it once.
      List<Thread> closers = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int t = 0; t < 4; t++) {
        Transport which = t == 3 && round % 2 == 1 ? e.b : e.a;
        Thread c = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException x) {
            return;
          }
          e.close(which, why);
        }, "closer-" + t);
        closers.add(c);
        c.start();
      }
      go.countDown();
      joinAll(closers, "a closer");
      waitUntil("a hears that it closed", () -> atA.closes.get() > 0);
      waitUntil("b hears that a closed", () -> atB.closes.get() > 0);
      assertEquals(Status.Code.UNAVAILABLE, atB.closedWith.get().getCode(), atB.closedWith.get().toString());
      if (round % 2 == 0) {
        assertEquals(why.getDescription(), atA.closedWith.get().getDescription(), "a's listener hears close's status");
      }
      for (Transport t : List.of(e.a, e.b)) {
        StatusException x = assertThrows(StatusException.class, () -> t.claim(8, inSeconds(WAIT_SECONDS)));
        assertEquals(Status.Code.UNAVAILABLE, x.getStatus().getCode(), x.getStatus().toString());
      }
      StatusException x = assertThrows(StatusException.class, open::commit, "a frame claimed before close");
      assertEquals(Status.Code.UNAVAILABLE, x.getStatus().getCode(), x.getStatus().toString());
      e.close(e.a, why);
      e.close(e.b, why);
      assertNothingHeld(e);
      // Every thread of the pair stops here, so any second onTransportClosed would have come by now.
      e.cleanUp();
      assertEquals(1, atA.closes.get(), "a heard onTransportClosed " + atA.closes.get() + " times");
      assertEquals(1, atB.closes.get(), "b heard onTransportClosed " + atB.closes.get() + " times");
    }
  }

  @Test
  void aListenerStartedAfterCloseHearsItOnce() throws Exception {
    Endpoints e = open(Room.AMPLE);
    e.close(e.a, Status.UNAVAILABLE.withDescription("closed before start"));
    Recorder atA = new Recorder("a").start(e.a);
    waitUntil("a's late listener hears the close", () -> atA.closes.get() > 0);
    assertEquals("closed before start", atA.closedWith.get().getDescription());
    StatusException x = assertThrows(StatusException.class, () -> e.a.claim(0, inSeconds(1)));
    assertEquals(Status.Code.UNAVAILABLE, x.getStatus().getCode());
  }

  @Test
  void closingUnderConcurrentProducersEndsEverySendCleanly() throws Exception {
    for (int round = 0; round < (SOAK ? 20 : 3); round++) {
      Endpoints e = open(Room.AMPLE);
      Recorder atA = new Recorder("a").start(e.a);
      Recorder atB = new Recorder("b").start(e.b);
      int threads = 4;
      int[] sizes = {0, 8, 1000, 5000, 40_000};
      int[] committed = new int[threads];
      ConcurrentLinkedQueue<String> unclear = new ConcurrentLinkedQueue<>();
      List<Thread> producers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int sender = t;
        Thread p = new Thread(() -> {
          Random rnd = new Random(sender);
          for (int seq = 0; ; seq++) {
            long id = id(sender, seq, sizes[rnd.nextInt(sizes.length)]);
            try {
              send(e.a, id, null, inSeconds(WAIT_SECONDS));
              committed[sender] = seq + 1;
            } catch (StatusException x) {
              if (x.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                unclear.add("sender " + sender + " frame " + seq + ": " + x.getStatus());
              }
              return;
            } catch (RuntimeException x) {
              unclear.add("sender " + sender + " frame " + seq + " threw " + x);
              return;
            }
          }
        }, "producer-" + t);
        producers.add(p);
        p.start();
      }
      atB.awaitFrames(200);
      e.close(e.a, Status.UNAVAILABLE.withDescription("closed under load"));
      joinAll(producers, "a producer");
      assertTrue(unclear.isEmpty(), () -> "sends ended with other than UNAVAILABLE: " + unclear);
      waitUntil("b hears the close", () -> atB.closes.get() > 0);
      waitUntil("a hears the close", () -> atA.closes.get() > 0);
      assertTrue(atB.problems.isEmpty(), () -> "b: " + atB.problems);
      // What arrived of each sender is a gapless prefix of what it committed.
      int[] next = new int[threads];
      for (long id : atB.ids) {
        int s = sender(id);
        assertEquals(next[s], seq(id), "sender " + s + "'s frames out of order or with a gap");
        next[s]++;
      }
      for (int s = 0; s < threads; s++) {
        assertTrue(next[s] <= committed[s], "sender " + s + ": more frames arrived than were committed");
      }
      e.close(e.b, Status.UNAVAILABLE.withDescription("test over"));
      assertNothingHeld(e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Delivery on the caller's thread

  /** The kinds a receiving side delivers to a caller waiting for its response. */
  private static final FrameKind[] RESPONSES = {FrameKind.RESPONSE_MESSAGE, FrameKind.CLOSE, FrameKind.REQUEST_CREDIT};
  /** Every other kind: a caller stops at them. */
  private static final FrameKind[] NOT_RESPONSES = {FrameKind.CALL_START, FrameKind.REQUEST_MESSAGE,
      FrameKind.HALF_CLOSE, FrameKind.CANCEL, FrameKind.RESPONSE_CREDIT, FrameKind.GOAWAY};

  @Test
  void aCallerDeliversResponsesOnlyAndStopsAtAnyOtherKind() throws Exception {
    Endpoints e = open(Room.AMPLE);
    new Recorder("b").start(e.b);
    Recorder atA = new Recorder("a").start(e.a);
    if (!callerReceiveSupported()) {
      send(e.b, id(2, 0, 8), null, inSeconds(WAIT_SECONDS));
      assertEquals(-1, e.a.receiveOnCallerThread(16), "a transport without caller receive says -1");
      atA.awaitFrames(1);
      return;
    }
    int seq = 0;
    List<Long> all = new ArrayList<>();
    for (FrameKind stopper : NOT_RESPONSES) {
      // Three responses of every payload shape, the stopper, then one more response after it.
      long[] ids = {id(2, seq++, 8), id(2, seq++, 3000), id(2, seq++, 0), id(2, seq++, 100), id(2, seq++, 16)};
      FrameKind[] kinds = {RESPONSES[0], RESPONSES[1], RESPONSES[2], stopper, RESPONSES[0]};
      try (AutoCloseable stalled = stallReceiveThread(e)) {
        for (int i = 0; i < ids.length; i++) {
          atA.kinds.put(ids[i], kinds[i]);
          send(e.b, ids[i], kinds[i], inSeconds(WAIT_SECONDS));
        }
        assertEquals(3, e.a.receiveOnCallerThread(16), "the caller delivers the three responses, then stops at " + stopper);
        assertEquals(0, e.a.receiveOnCallerThread(16), "the caller delivers nothing past " + stopper);
        e.a.endReceiveOnCallerThread();
        assertEquals(all.size() + 3, atA.ids.size());
        for (int i = all.size(); i < all.size() + 3; i++) {
          assertEquals(Thread.currentThread(), atA.threads.get(i), "delivered by the caller");
        }
      }
      atA.awaitFrames(all.size() + ids.length);
      for (int i = all.size() + 3; i < all.size() + ids.length; i++) {
        assertNotEquals(Thread.currentThread(), atA.threads.get(i), "the stopper and what follows are the receive thread's");
      }
      for (long id : ids) {
        all.add(id);
      }
      assertIds(all, atA.ids, "b → a");
    }
    assertNothingHeld(e);
  }

  /** Starts a recorder on each end; a's expects responses only. Returns a's. */
  private Recorder startExpectingResponsesAtA(Endpoints e) {
    new Recorder("b").start(e.b);
    Recorder atA = new Recorder("a");
    atA.expectedKind = FrameKind.RESPONSE_MESSAGE;
    return atA.start(e.a);
  }

  @Test
  void aCallerDeliversAtMostWhatItAskedFor() throws Exception {
    Endpoints e = open(Room.AMPLE);
    Recorder atA = startExpectingResponsesAtA(e);
    if (!callerReceiveSupported()) {
      assertEquals(-1, e.a.receiveOnCallerThread(2));
      return;
    }
    List<Long> sent = new ArrayList<>();
    try (AutoCloseable stalled = stallReceiveThread(e)) {
      for (int i = 0; i < 5; i++) {
        long id = id(2, i, i * 700);
        send(e.b, id, FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
        sent.add(id);
      }
      assertEquals(2, e.a.receiveOnCallerThread(2));
      assertEquals(2, e.a.receiveOnCallerThread(2));
      assertEquals(1, e.a.receiveOnCallerThread(2));
      assertEquals(0, e.a.receiveOnCallerThread(2));
      e.a.endReceiveOnCallerThread();
    }
    assertIds(sent, atA.ids, "b → a");
    assertNothingHeld(e);
  }

  @Test
  void aCallerThatStopsLookingLeavesLaterFramesToTheReceiveThread() throws Exception {
    // A caller may keep the delivery role between its looks; once it says it stopped looking, a frame
    // that comes later must reach the receive thread, whether that thread spins or sleeps.
    Endpoints e = open(Room.AMPLE);
    Recorder atA = startExpectingResponsesAtA(e);
    if (!callerReceiveSupported()) {
      e.a.endReceiveOnCallerThread(); // harmless without caller receive
      return;
    }
    List<Long> sent = new ArrayList<>();
    for (int round = 0; round < 6; round++) { // each stall takes a peer entry of the hub's 8
      long first = id(2, 2 * round, 8);
      try (AutoCloseable stalled = stallReceiveThread(e)) {
        send(e.b, first, FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
        sent.add(first);
        assertEquals(1, e.a.receiveOnCallerThread(16));
        assertEquals(0, e.a.receiveOnCallerThread(16));
        e.a.endReceiveOnCallerThread();
      }
      if (round % 2 == 1) {
        Thread.sleep(5); // let the receive thread go to sleep
      }
      long later = id(2, 2 * round + 1, round * 300);
      send(e.b, later, FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
      sent.add(later);
      atA.awaitFrames(sent.size());
      assertNotEquals(Thread.currentThread(), atA.threads.get(sent.size() - 1), "the later frame is the receive thread's");
    }
    assertIds(sent, atA.ids, "b → a");
    assertNothingHeld(e);
  }

  @Test
  void aCallerSaysMinusOneWhileAnotherThreadDelivers() throws Exception {
    Endpoints e = open(Room.AMPLE);
    new Recorder("b").start(e.b);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Recorder atA = new Recorder("a") {
      @Override
      void onChecked(FrameHeader header, ByteBuffer payload) {
        if (seq(header.callId()) == 0) {
          entered.countDown();
          // Busy in the listener without giving the role up: the receive thread still delivers.
          await(release, this);
        }
      }
    };
    atA.expectedKind = FrameKind.RESPONSE_MESSAGE;
    atA.start(e.a);
    send(e.b, id(2, 0, 8), FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
    assertTrue(entered.await(WAIT_SECONDS, TimeUnit.SECONDS), "the first frame was never delivered");
    send(e.b, id(2, 1, 8), FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
    try {
      for (int i = 0; i < 100; i++) {
        assertEquals(-1, e.a.receiveOnCallerThread(16), "a caller may not deliver while the receive thread does");
      }
    } finally {
      e.a.endReceiveOnCallerThread();
      release.countDown();
    }
    atA.awaitFrames(2);
    assertNotEquals(Thread.currentThread(), atA.threads.get(1), "the caller delivered a frame while another thread held delivery");
    assertNothingHeld(e);
  }

  private static void await(CountDownLatch latch, Recorder r) {
    try {
      if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
        r.problems.add("a listener waited " + WAIT_SECONDS + " s to be released");
      }
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Handing delivery on

  @Test
  void aListenerThatGivesDeliveryUpAndBlocksDoesNotStopDelivery() throws Exception {
    Endpoints e = open(Room.AMPLE);
    new Recorder("b").start(e.b);
    int blockers = 3;
    CountDownLatch[] release = new CountDownLatch[blockers];
    CountDownLatch[] entered = new CountDownLatch[blockers];
    for (int i = 0; i < blockers; i++) {
      release[i] = new CountDownLatch(1);
      entered[i] = new CountDownLatch(1);
    }
    AtomicInteger stillDelivering = new AtomicInteger();
    Recorder atA = new Recorder("a") {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        int s = seq(header.callId());
        if (s < blockers) {
          // Application code run inline that blocks: it gives delivery up first, as the call layer's
          // waits do. From here on this frame no longer counts as being delivered.
          super.onFrame(header, payload);
          InboundDelivery.relinquishAll();
          entered[s].countDown();
          await(release[s], this);
          return;
        }
        stillDelivering.incrementAndGet();
        super.onFrame(header, payload);
      }
    };
    atA.start(e.a);
    List<Long> sent = new ArrayList<>();
    for (int i = 0; i < blockers; i++) {
      long id = id(2, i, i * 1000);
      send(e.b, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
      assertTrue(entered[i].await(WAIT_SECONDS, TimeUnit.SECONDS),
          "frame " + i + " was not delivered while " + i + " listeners block after giving delivery up");
    }
    for (int i = blockers; i < 200; i++) {
      long id = id(2, i, i % 4 == 0 ? 5000 : 8);
      send(e.b, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    atA.awaitFrames(sent.size());
    for (int i = 0; i < blockers; i++) {
      for (int j = blockers; j < sent.size(); j++) {
        assertNotEquals(atA.threads.get(i), atA.threads.get(j), "a thread that gave delivery up delivered again while blocked");
      }
    }
    for (int i = blockers - 1; i >= 0; i--) {
      release[i].countDown();
    }
    // And delivery goes on, one frame at a time, after the blocked listeners return.
    for (int i = 200; i < 300; i++) {
      long id = id(2, i, 8);
      send(e.b, id, null, inSeconds(WAIT_SECONDS));
      sent.add(id);
    }
    atA.awaitFrames(sent.size());
    assertIds(sent, atA.ids, "b → a");
    assertNothingHeld(e);
  }

  @Test
  void aCallerThatGivesDeliveryUpAndBlocksDoesNotStopDelivery() throws Exception {
    if (!callerReceiveSupported()) {
      return;
    }
    Endpoints e = open(Room.AMPLE);
    new Recorder("b").start(e.b);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread caller = Thread.currentThread();
    Recorder atA = new Recorder("a") {
      @Override
      public void onFrame(FrameHeader header, ByteBuffer payload) {
        super.onFrame(header, payload);
        if (Thread.currentThread() == caller && seq(header.callId()) == 0) {
          InboundDelivery.relinquishAll();
          entered.countDown();
          await(release, this);
        }
      }
    };
    atA.expectedKind = FrameKind.RESPONSE_MESSAGE;
    atA.start(e.a);
    List<Long> sent = new ArrayList<>();
    AutoCloseable stalled = stallReceiveThread(e);
    try {
      for (int i = 0; i < 50; i++) {
        long id = id(2, i, i % 5 == 0 ? 3000 : 8);
        send(e.b, id, FrameKind.RESPONSE_MESSAGE, inSeconds(WAIT_SECONDS));
        sent.add(id);
      }
      // While the caller is blocked in frame 0's listener, the receive thread comes back and must find
      // the role free.
      Thread helper = new Thread(() -> {
        try {
          if (entered.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
            stalled.close();
            atA.awaitFrames(sent.size());
          }
        } catch (Exception x) {
          atA.problems.add("helper: " + x);
        } finally {
          release.countDown();
        }
      }, "unstaller");
      helper.start();
      assertEquals(1, e.a.receiveOnCallerThread(16), "the caller stops once it gave its role up");
      e.a.endReceiveOnCallerThread();
      helper.join(TimeUnit.SECONDS.toMillis(2 * WAIT_SECONDS));
      assertFalse(helper.isAlive());
    } finally {
      stalled.close();
    }
    atA.awaitFrames(sent.size());
    assertIds(sent, atA.ids, "b → a");
    for (int i = 1; i < sent.size(); i++) {
      assertNotEquals(caller, atA.threads.get(i), "frame " + i + " delivered by the caller after it gave the role up");
    }
    assertNothingHeld(e);
  }

  // ---------------------------------------------------------------------------------------------

  /** Joins every thread; a thread still running after the bound fails the test with all stacks. */
  protected static void joinAll(List<Thread> threads, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2 * WAIT_SECONDS);
    for (Thread t : threads) {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        fail(what + " hangs: " + t.getName() + "\n" + ThreadDump.all());
      }
    }
  }
}
