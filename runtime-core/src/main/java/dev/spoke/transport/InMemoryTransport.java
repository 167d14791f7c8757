package dev.spoke.transport;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.internal.InboundDelivery;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two connected {@link Transport} ends in one JVM, for tests of the call layer and of code built on
 * it. Each end has its own receive thread, as the shared-memory transport has, so code that wrongly
 * runs work on the receive thread behaves the same here.
 *
 * <p>Stricter than it needs to be, on purpose: after each frame is delivered its payload bytes are
 * overwritten, so a listener that keeps a lent buffer past {@link FrameListener#onFrame} reads garbage
 * in tests instead of getting away with it. An optional capacity bounds the frames in flight, so
 * back-pressure can be exercised. {@link #crash} stands in for the death of this end's process: the
 * frames still waiting for it are never read, and the other end hears which calls they started.
 *
 * <p>Thread-safe.
 */
public final class InMemoryTransport implements Transport {

  private static final Logger log = LoggerFactory.getLogger(InMemoryTransport.class);
  private static final byte POISON = (byte) 0xA5;

  private final String localName;
  private final int maxPayloadLength;
  private final int capacity;
  private final LinkedBlockingQueue<Delivery> inbound = new LinkedBlockingQueue<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object roomLock = new Object();
  private InMemoryTransport peer;
  /** The thread delivering frames now; another takes over when application code on it blocks. */
  private volatile Thread receiveThread;
  private final AtomicInteger receiveThreads = new AtomicInteger();
  /** The receive thread's delivery role: handed to a new thread if what it runs inline blocks. */
  private final InboundDelivery.Role receiveRole = () -> {
    if (receiveThread == Thread.currentThread()) {
      startReceiveThread();
    }
  };
  private volatile FrameListener listener;
  private volatile Status closeStatus;
  /** Counted down once the listener has heard the close and returned. */
  private final java.util.concurrent.CountDownLatch closeDelivered = new java.util.concurrent.CountDownLatch(1);
  /** Set by {@link #crash}: this end reads nothing more. */
  private volatile boolean dead;
  /** The CALL_STARTs of this end's the other end never read, told with the close. */
  private volatile long[] unreadOnClose = FrameListener.NONE_UNREAD;

  private InMemoryTransport(String localName, int maxPayloadLength, int capacity) {
    this.localName = localName;
    this.maxPayloadLength = maxPayloadLength;
    this.capacity = capacity;
  }

  /** A connected pair with no capacity limit and a 16 MiB payload limit. */
  public static InMemoryTransport[] pair(String nameA, String nameB) {
    return pair(nameA, nameB, 16 << 20, Integer.MAX_VALUE);
  }

  /**
   * A connected pair.
   *
   * @param maxPayloadLength the largest payload a frame may carry
   * @param capacity the most frames in flight towards each end; claims wait when it is reached
   */
  public static InMemoryTransport[] pair(String nameA, String nameB, int maxPayloadLength, int capacity) {
    InMemoryTransport a = new InMemoryTransport(nameA, maxPayloadLength, capacity);
    InMemoryTransport b = new InMemoryTransport(nameB, maxPayloadLength, capacity);
    a.peer = b;
    b.peer = a;
    return new InMemoryTransport[] {a, b};
  }

  @Override
  public void start(FrameListener frameListener) {
    Objects.requireNonNull(frameListener, "listener");
    if (listener != null) {
      throw new IllegalStateException("transport " + localName + " already started");
    }
    listener = frameListener;
    startReceiveThread();
  }

  private void startReceiveThread() {
    Thread t = new Thread(this::receiveLoop, "spoke-inmemory-recv-" + localName + "-" + receiveThreads.incrementAndGet());
    t.setDaemon(true);
    receiveThread = t;
    t.start();
  }

  @Override
  public OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException {
    if (payloadLength < 0 || payloadLength > maxPayloadLength) {
      throw Status.RESOURCE_EXHAUSTED.withDescription(
          "payload of " + payloadLength + " bytes exceeds the limit of " + maxPayloadLength + " bytes").asException();
    }
    checkOpen();
    peer.reserveRoom(deadlineNanos, InboundDelivery.holdsAny() || deadlineNanos == NO_WAIT);
    return new Frame(payloadLength);
  }

  @Override
  public int maxPayloadLength() {
    return maxPayloadLength;
  }

  @Override
  public void close(Status status) {
    if (closed.compareAndSet(false, true)) {
      closeStatus = status;
      inbound.add(Delivery.CLOSE);
      peer.remoteClosed(status);
      synchronized (roomLock) {
        roomLock.notifyAll();
      }
    }
  }

  @Override
  public String remoteName() {
    return peer.localName;
  }

  /**
   * Simulates the death of this end's process: it reads nothing more; the frames waiting for it are
   * dropped unread; the other end's listener hears the close with the ids of the calls whose CALL_START
   * was among them (see {@link FrameListener#onTransportClosed(Status, long[])}); this end's listener
   * hears {@code why}. A frame this end's receive thread had already taken counts as read.
   */
  public void crash(Status why) {
    dead = true;
    List<Delivery> waiting = new ArrayList<>();
    inbound.drainTo(waiting);
    long[] unread = new long[waiting.size()];
    int n = 0;
    for (Delivery d : waiting) {
      if (d == Delivery.CLOSE) {
        continue;
      }
      if (d.header.kind() == FrameKind.CALL_START) {
        unread[n++] = d.header.callId();
      }
      releaseRoom();
    }
    peer.unreadOnClose = Arrays.copyOf(unread, n);
    close(why);
  }

  /**
   * Waits until the listener has heard that this end closed and has returned, up to {@code timeout}:
   * then what it handed to executors while closing (the calls' endings) has been handed. Returns whether
   * that happened.
   */
  public boolean awaitCloseDelivered(long timeout, TimeUnit unit) throws InterruptedException {
    return closeDelivered.await(timeout, unit);
  }

  /** The most frames that were ever in flight towards this end at once. */
  public int maxFramesInFlight() {
    return maxInFlight.get();
  }

  /** Frames in flight towards this end now. */
  public int framesInFlight() {
    return inFlight.get();
  }

  private void remoteClosed(Status status) {
    if (closed.compareAndSet(false, true)) {
      closeStatus = Status.UNAVAILABLE.withDescription(
          peer.localName + " closed the connection: " + status);
      inbound.add(Delivery.CLOSE);
      synchronized (roomLock) {
        roomLock.notifyAll();
      }
    }
  }

  private void checkOpen() throws StatusException {
    if (closed.get()) {
      throw Status.UNAVAILABLE.withDescription(
          "transport " + localName + " → " + peer.localName + " is closed: " + closeStatus).asException();
    }
  }

  /** Reserves room for one frame towards this end. */
  private void reserveRoom(long deadlineNanos, boolean onReceiveThread) throws StatusException {
    for (;;) {
      int n = inFlight.get();
      if (n < capacity || onReceiveThread) {
        if (inFlight.compareAndSet(n, n + 1)) {
          maxInFlight.accumulateAndGet(n + 1, Math::max);
          return;
        }
        continue;
      }
      synchronized (roomLock) {
        if (closed.get()) {
          throw Status.UNAVAILABLE.withDescription("transport to " + localName + " is closed").asException();
        }
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
          throw Status.DEADLINE_EXCEEDED.withDescription(
              "no room towards " + localName + ": " + inFlight.get() + " of " + capacity + " frames in flight")
              .asException();
        }
        if (inFlight.get() >= capacity) {
          try {
            TimeUnit.NANOSECONDS.timedWait(roomLock, Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(10)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while waiting for room").asException();
          }
        }
      }
    }
  }

  private void releaseRoom() {
    inFlight.decrementAndGet();
    if (capacity != Integer.MAX_VALUE) {
      synchronized (roomLock) {
        roomLock.notifyAll();
      }
    }
  }

  private void receiveLoop() {
    FrameListener l = listener;
    Thread me = Thread.currentThread();
    while (receiveThread == me) {
      Delivery d;
      try {
        d = inbound.take();
      } catch (InterruptedException e) {
        continue;
      }
      if (d == Delivery.CLOSE) {
        try {
          l.onTransportClosed(closeStatus, unreadOnClose);
        } finally {
          closeDelivered.countDown();
        }
        return;
      }
      if (dead) {
        releaseRoom(); // taken after the crash: dropped, and (to be safe) not reported unread
        continue;
      }
      InboundDelivery.enter(receiveRole);
      try {
        l.onFrame(d.header, ByteBuffer.wrap(d.payload).asReadOnlyBuffer());
      } catch (Throwable t) {
        log.error("[{}] listener threw on {}", localName, d.header, t);
      } finally {
        InboundDelivery.leave(receiveRole);
        Arrays.fill(d.payload, POISON);
        releaseRoom();
      }
    }
  }

  private static final class Delivery {
    static final Delivery CLOSE = new Delivery(null, null);
    final FrameHeader header;
    final byte[] payload;

    Delivery(FrameHeader header, byte[] payload) {
      this.header = header;
      this.payload = payload;
    }
  }

  private final class Frame implements OutboundFrame {
    private final ByteBuffer payload;
    private final FrameHeader header = new FrameHeader();
    private boolean done;

    Frame(int length) {
      this.payload = ByteBuffer.allocate(length);
    }

    @Override
    public ByteBuffer payload() {
      return payload;
    }

    @Override
    public FrameHeader header() {
      return header;
    }

    @Override
    public void commit() throws StatusException {
      if (done) {
        throw new IllegalStateException("frame already committed or aborted");
      }
      done = true;
      if (closed.get()) {
        peer.releaseRoom();
        checkOpen();
      }
      peer.inbound.add(new Delivery(new FrameHeader().copyFrom(header), payload.array()));
    }

    @Override
    public void abort() {
      if (!done) {
        done = true;
        peer.releaseRoom();
      }
    }
  }

  @Override
  public String toString() {
    return "InMemoryTransport{" + localName + " → " + peer.localName + (closed.get() ? ", closed" : "") + "}";
  }
}
