package dev.spoke.shm;

import dev.spoke.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's side of a hub: creates the file, hands out peer entries to plugins it launches, receives
 * from every plugin on one thread, watches their liveness, and reclaims everything a plugin held when it
 * goes — however it goes.
 *
 * <p><b>One receive thread for all peers</b>: it polls every peer's inbound ring in turn, spins for an
 * adaptive window when all are empty, then parks on the host's doorbell, which any plugin rings after
 * publishing, only when the host announced that it parks. Idle plugins cost nothing.
 *
 * <p><b>Liveness</b>: a supervisor thread writes the host's heartbeat and checks each peer: a pid that
 * is gone, a peer that detached itself, or (for plugins the host did not launch) a heartbeat older than
 * {@link HubConfig#heartbeatTimeout()} gets the peer reclaimed.
 *
 * <p><b>Reclaim</b> runs on the receive thread, so it never races the host's own consumption: mark the
 * entry DEAD (senders see it and stop), close its transport (calls in flight fail with UNAVAILABLE, naming
 * the plugin and why), drain both rings freeing every slot their descriptors carry, free every slot the
 * peer still held or that was in flight to or from it, rebuild the free lists, and free the entry.
 * Afterwards the pool is as if the peer had never been.
 *
 * <p>Thread-safe.
 */
public final class HubHost implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HubHost.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A peer entry set aside for one launch of a plugin. Immutable. */
  public static final class Reservation {
    private final int peerId;
    private final int epoch;
    private final String token;
    private final String name;
    private final HubTransport transport;

    Reservation(int peerId, int epoch, String token, String name, HubTransport transport) {
      this.peerId = peerId;
      this.epoch = epoch;
      this.token = token;
      this.name = name;
      this.transport = transport;
    }

    public int peerId() {
      return peerId;
    }

    public int epoch() {
      return epoch;
    }

    /** The secret the plugin must present to attach; only its hash is in the hub. */
    public String token() {
      return token;
    }

    public String name() {
      return name;
    }

    /** The host's end of the connection to this plugin. */
    public HubTransport transport() {
      return transport;
    }

    @Override
    public String toString() {
      return "Reservation{peer " + peerId + ", epoch " + epoch + ", '" + name + "'}";
    }
  }

  private final HubConfig config;
  private final HubFile file;
  private final SharedBuffer mem;
  private final HubLayout layout;
  private final SlotAllocator slots;
  private final ReceiveLoop loop;
  private final Doorbell[] peerDoorbells;
  private final boolean[] launchedByHost;
  private final String[] names;
  private final Object reservationLock = new Object();
  private final ConcurrentLinkedQueue<ReclaimRequest> reclaims = new ConcurrentLinkedQueue<>();
  private volatile HubTransport[] transports;
  private volatile boolean stopping;
  private volatile BiConsumer<Integer, String> peerGoneListener;
  private final Thread receiveThread;
  private final Thread supervisorThread;
  private int nextPeer;

  private HubHost(HubConfig config, HubFile file) {
    this.config = config;
    this.file = file;
    this.mem = file.buffer();
    this.layout = file.layout();
    this.slots = new SlotAllocator(mem, layout);
    this.peerDoorbells = new Doorbell[layout.maxPeers];
    for (int i = 0; i < layout.maxPeers; i++) {
      peerDoorbells[i] = new Doorbell(mem, layout.peerEntryOffset(i) + PeerEntryDescriptor.DOORBELL_OFFSET);
    }
    this.launchedByHost = new boolean[layout.maxPeers];
    this.names = new String[layout.maxPeers];
    this.transports = new HubTransport[layout.maxPeers];
    this.loop = new ReceiveLoop(new ReceiveLoop.Source() {
      @Override
      public HubTransport[] transports() {
        return transports;
      }

      @Override
      public int otherWork() {
        return processReclaims();
      }

      @Override
      public boolean hasOtherWork() {
        return !reclaims.isEmpty();
      }

      @Override
      public boolean stopping() {
        return stopping;
      }
    }, new Doorbell(mem, HubHeaderDescriptor.HOST_DOORBELL_OFFSET), config);
    this.receiveThread = new Thread(loop, "spoke-hub-receiver");
    this.receiveThread.setDaemon(true);
    this.supervisorThread = new Thread(this::superviseLoop, "spoke-hub-supervisor");
    this.supervisorThread.setDaemon(true);
  }

  /**
   * Creates a hub: removes hubs of dead hosts from the directory, creates and formats a new file, and
   * starts the receive and supervisor threads.
   */
  public static HubHost create(HubConfig config) throws IOException {
    // Checked (the default directory must be this user's own) before anything in it is touched.
    Path dir = HubFile.prepareDirectory(config);
    HubFile.removeStaleHubs(dir);
    HubFile file = HubFile.create(config, ProcessHandle.current().pid(), HubFile.currentProcessStartMillis());
    HubHost host = new HubHost(config, file);
    host.slots.format();
    for (int i = 0; i < host.layout.maxPeers; i++) {
      host.mem.putInt(host.layout.peerEntryOffset(i) + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.FREE);
    }
    file.markReady();
    host.receiveThread.start();
    host.supervisorThread.start();
    log.info("hub {} ready: {} peers, rings of {}, pool {}", file.path(), config.maxPeers(), config.ringCapacity(),
        config.sizeClasses());
    return host;
  }

  public Path path() {
    return file.path();
  }

  public HubConfig config() {
    return config;
  }

  SharedBuffer memory() {
    return mem;
  }

  HubLayout layout() {
    return layout;
  }

  /** Runs {@code listener(peerId, reason)} on the receive thread after a peer was reclaimed. Must not block. */
  public void onPeerGone(BiConsumer<Integer, String> listener) {
    this.peerGoneListener = listener;
  }

  // ---------------------------------------------------------------------------------------------
  // Peers

  /**
   * Sets a peer entry aside for a plugin about to be launched and returns its id and secret token, to
   * pass on the plugin's command line.
   *
   * @param launchedByHost true if the host watches the plugin's process itself; otherwise the plugin is
   *     judged by its heartbeat
   * @throws IllegalStateException if every entry is in use
   */
  public Reservation reservePeer(String name, boolean launchedByHost) {
    Objects.requireNonNull(name, "name");
    synchronized (reservationLock) {
      if (stopping) {
        throw new IllegalStateException("the hub is closing");
      }
      for (int k = 0; k < layout.maxPeers; k++) {
        int i = (nextPeer + k) % layout.maxPeers;
        long e = layout.peerEntryOffset(i);
        if (mem.getIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET) != PeerEntryDescriptor.FREE || transports[i] != null) {
          continue;
        }
        // Round robin, so a just-freed entry is the last to be reused.
        nextPeer = i + 1;
        int epoch = (mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET) + 1) & 0xFFFF;
        if (epoch == 0) {
          epoch = 1;
        }
        byte[] secret = new byte[16];
        RANDOM.nextBytes(secret);
        String token = epoch + "." + HexFormat.of().formatHex(secret);
        // Everything is written while the entry is FREE; RESERVED, stored last with release, publishes it.
        mem.putInt(e + PeerEntryDescriptor.EPOCH_OFFSET, epoch);
        mem.putLong(e + PeerEntryDescriptor.PID_OFFSET, 0);
        mem.putLong(e + PeerEntryDescriptor.TOKEN_HASH_OFFSET, tokenHash(token));
        mem.putLong(e + PeerEntryDescriptor.ATTACHED_MILLIS_OFFSET, 0);
        mem.putLong(e + PeerEntryDescriptor.HEARTBEAT_OFFSET, 0);
        mem.putInt(e + PeerEntryDescriptor.DOORBELL_OFFSET, 0);
        writeName(e, name);
        DescriptorRing toPeer = new DescriptorRing(mem, layout.hostToPeerRingOffset(i), layout.ringCapacity, "host→" + name);
        DescriptorRing toHost = new DescriptorRing(mem, layout.peerToHostRingOffset(i), layout.ringCapacity, name + "→host");
        toPeer.reset(epoch);
        toHost.reset(epoch);
        int peerId = i;
        HubTransport t = new HubTransport(mem, slots, toPeer, toHost, peerDoorbells[i], SlotDescriptor.HOST_ID, i, epoch,
            "host", "plugin '" + name + "' (peer " + i + ")", config, new HostEndpoint(peerId));
        this.launchedByHost[i] = launchedByHost;
        this.names[i] = name;
        setTransport(i, t);
        mem.putIntRelease(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.RESERVED);
        return new Reservation(i, epoch, token, name, t);
      }
    }
    throw new IllegalStateException("all " + layout.maxPeers + " peer entries of the hub are in use:\n" + snapshot());
  }

  /**
   * Reclaims a peer now: its process exited or the host is done with it. Returns at once; the reclaim
   * runs on the receive thread. {@code reason} appears in the errors of its calls in flight.
   */
  public void releasePeer(Reservation reservation, String reason) {
    requestReclaim(reservation.peerId, reservation.epoch, reason);
  }

  /** The pid the plugin wrote when it attached, or 0 before. */
  public long peerPid(Reservation reservation) {
    long e = layout.peerEntryOffset(reservation.peerId);
    return mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET) == reservation.epoch
        ? mem.getLongAcquire(e + PeerEntryDescriptor.PID_OFFSET) : 0;
  }

  /** True while the reservation's plugin holds its entry (RESERVED or ACTIVE in its epoch). */
  public boolean isPeerLive(Reservation reservation) {
    return peerLive(reservation.peerId, reservation.epoch);
  }

  /** True once the plugin attached (ACTIVE in the reservation's epoch). */
  public boolean isPeerAttached(Reservation reservation) {
    long e = layout.peerEntryOffset(reservation.peerId);
    return mem.getIntAcquire(e + PeerEntryDescriptor.STATE_OFFSET) == PeerEntryDescriptor.ACTIVE
        && mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET) == reservation.epoch;
  }

  private boolean peerLive(int peer, int epoch) {
    long e = layout.peerEntryOffset(peer);
    int state = mem.getIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET);
    return (state == PeerEntryDescriptor.RESERVED || state == PeerEntryDescriptor.ACTIVE)
        && mem.getIntVolatile(e + PeerEntryDescriptor.EPOCH_OFFSET) == epoch;
  }

  private void writeName(long entry, String name) {
    byte[] b = name.getBytes(StandardCharsets.UTF_8);
    int n = Math.min(b.length, PeerEntryDescriptor.NAME_MAX_BYTES);
    mem.putInt(entry + PeerEntryDescriptor.NAME_LENGTH_OFFSET, n);
    mem.putBytes(entry + PeerEntryDescriptor.NAME_OFFSET, b, 0, n);
  }

  static long tokenHash(String token) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) {
        h = (h << 8) | (d[i] & 0xFF);
      }
      return h == 0 ? 1 : h;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private void setTransport(int peer, HubTransport t) {
    synchronized (reservationLock) {
      HubTransport[] next = transports.clone();
      next[peer] = t;
      transports = next;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The receive thread (a ReceiveLoop) and reclaims

  private void requestReclaim(int peer, int epoch, String reason) {
    reclaims.add(new ReclaimRequest(peer, epoch, reason));
    loop.wake();
  }

  private int processReclaims() {
    int n = 0;
    ReclaimRequest r;
    while ((r = reclaims.poll()) != null) {
      reclaim(r.peer, r.epoch, r.reason);
      n++;
    }
    return n;
  }

  /** Receive thread only. */
  private void reclaim(int peer, int epoch, String reason) {
    long e = layout.peerEntryOffset(peer);
    HubTransport t = transports[peer];
    if (t == null || t.epoch() != epoch) {
      return; // already reclaimed
    }
    for (;;) {
      int state = mem.getIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET);
      if (state == PeerEntryDescriptor.FREE) {
        break;
      }
      // NOTE: DEAD is visible to senders before we scan the slots below (see HubTransport.tryPublish).
      if (state == PeerEntryDescriptor.DEAD || mem.compareAndSetInt(e + PeerEntryDescriptor.STATE_OFFSET, state, PeerEntryDescriptor.DEAD)) {
        break;
      }
    }
    long pid = mem.getLongVolatile(e + PeerEntryDescriptor.PID_OFFSET);
    String who = "plugin '" + names[peer] + "'" + (pid > 0 ? " (pid " + pid + ")" : "");
    t.closeLocally(Status.UNAVAILABLE.withDescription(who + " " + reason));
    int drained = drainToHost(t) + drainToPeer(peer, t);
    int freed = slots.reclaim(peer);
    setTransport(peer, null);
    mem.putLong(e + PeerEntryDescriptor.PID_OFFSET, 0);
    mem.putLong(e + PeerEntryDescriptor.TOKEN_HASH_OFFSET, 0);
    mem.putIntRelease(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.FREE);
    peerDoorbells[peer].wake(); // a plugin still running sees its entry gone and stops
    log.info("reclaimed {}: {}; {} frames drained, {} more slots returned", who, reason, drained, freed);
    BiConsumer<Integer, String> l = peerGoneListener;
    if (l != null) {
      try {
        l.accept(peer, reason);
      } catch (Throwable x) {
        log.error("peer-gone listener failed", x);
      }
    }
  }

  /** Frees the slots of descriptors the dead peer published to the host and the host never read. */
  private int drainToHost(HubTransport t) {
    DescriptorRing ring = t.inRing();
    int n = 0;
    while (ring.hasNext() && n < layout.ringCapacity) {
      freeDescriptorSlot(ring.entryOffset(ring.consumerPosition()), t.remoteId(), SlotDescriptor.HOST_ID);
      ring.advance();
      n++;
    }
    return n;
  }

  /** Frees the slots of descriptors the host published to the dead peer that it never read. */
  private int drainToPeer(int peer, HubTransport t) {
    DescriptorRing ring = t.outRing();
    long head = ring.headVolatile();
    long tail = ring.tailVolatile();
    int n = 0;
    if (tail - head < 0 || tail - head > layout.ringCapacity) {
      return 0; // the peer scribbled over its head; the slot scan below still frees everything
    }
    for (long p = head; p != tail; p++) {
      if (ring.isPublished(p)) {
        freeDescriptorSlot(ring.entryOffset(p), SlotDescriptor.HOST_ID, peer);
        n++;
      }
    }
    return n;
  }

  private void freeDescriptorSlot(long entry, int owner, int receiver) {
    if (mem.getByte(entry + FrameDescriptor.MODE_OFFSET) != FrameDescriptor.MODE_SLOT) {
      return;
    }
    int c = mem.getByte(entry + FrameDescriptor.SIZE_CLASS_OFFSET) & 0xFF;
    int index = mem.getInt(entry + FrameDescriptor.SLOT_INDEX_OFFSET);
    int gen = mem.getInt(entry + FrameDescriptor.SLOT_GENERATION_OFFSET);
    if (c < slots.classCount() && index >= 0 && index < slots.slotCount(c)) {
      slots.freeInFlight(SlotAllocator.ref(c, index, gen), owner, receiver); // a stale one simply does not match
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The supervisor thread

  private void superviseLoop() {
    long interval = config.heartbeatInterval().toNanos();
    long timeout = config.heartbeatTimeout().toNanos();
    while (!stopping) {
      try {
        long now = System.nanoTime();
        mem.putLongRelease(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET, now);
        HubTransport[] ts = transports;
        for (int i = 0; i < ts.length; i++) {
          HubTransport t = ts[i];
          if (t == null) {
            continue;
          }
          long e = layout.peerEntryOffset(i);
          int state = mem.getIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET);
          if (mem.getIntVolatile(e + PeerEntryDescriptor.EPOCH_OFFSET) != t.epoch()) {
            continue;
          }
          long pid = mem.getLongAcquire(e + PeerEntryDescriptor.PID_OFFSET);
          if (pid > 0 && !t.remoteName().contains("pid ")) {
            t.remoteName("plugin '" + names[i] + "' (peer " + i + ", pid " + pid + ")");
          }
          if (state == PeerEntryDescriptor.DEAD) {
            requestReclaim(i, t.epoch(), "detached");
          } else if (!launchedByHost[i] && pid > 0 && !ProcessLiveness.isAlive(pid, 0)) {
            // Plugins the host launched are watched through their Process, which knows the exit status.
            requestReclaim(i, t.epoch(), "exited");
          } else if (state == PeerEntryDescriptor.ACTIVE && !launchedByHost[i]) {
            long beat = mem.getLongAcquire(e + PeerEntryDescriptor.HEARTBEAT_OFFSET);
            if (now - beat > timeout) {
              requestReclaim(i, t.epoch(), String.format("stopped its heartbeat (last %.1fs ago)", (now - beat) / 1e9));
            }
          }
        }
      } catch (Throwable t) {
        log.error("hub supervisor failed; continuing", t);
      }
      LockSupport.parkNanos(this, interval);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** A picture of the whole hub. */
  public HubSnapshot snapshot() {
    return HubSnapshot.capture(file.path().toString(), mem, layout, 8);
  }

  /** Peer entries in use (reserved, active, or being reclaimed). */
  public int peersInUse() {
    int n = 0;
    for (HubTransport t : transports) {
      if (t != null) {
        n++;
      }
    }
    return n;
  }

  /**
   * Stops the hub: tells every plugin (their entries' doorbells, the CLOSING state), fails every
   * transport with UNAVAILABLE, stops the threads and removes the file. Idempotent.
   */
  @Override
  public void close() {
    synchronized (reservationLock) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    file.markClosing();
    Status status = Status.UNAVAILABLE.withDescription("the host closed the hub");
    for (int i = 0; i < layout.maxPeers; i++) {
      HubTransport t = transports[i];
      if (t != null) {
        t.closeLocally(status);
      }
      peerDoorbells[i].wake();
    }
    loop.wake();
    try {
      receiveThread.join(2_000);
      supervisorThread.interrupt();
      LockSupport.unpark(supervisorThread);
      supervisorThread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    file.unlink();
    log.info("hub {} closed", file.path());
  }

  private final class HostEndpoint implements HubTransport.Endpoint {
    private final int peer;

    HostEndpoint(int peer) {
      this.peer = peer;
    }

    @Override
    public boolean remoteAlive(HubTransport transport) {
      return !stopping && peerLive(peer, transport.epoch());
    }

    @Override
    public ReceiveLoop receiveLoop() {
      return loop;
    }

    @Override
    public void violation(HubTransport transport, String what) {
      log.error("disconnecting: {}", what);
      reclaim(peer, transport.epoch(), "was disconnected: " + what);
    }

    @Override
    public void closed(HubTransport transport, Status status) {
      requestReclaim(peer, transport.epoch(), "was disconnected by the host: " + status.getDescription());
    }

    @Override
    public String describe(HubTransport transport, boolean pool) {
      HubSnapshot.PeerState p = HubSnapshot.capturePeer(mem, layout, peer, System.nanoTime(), 4);
      StringBuilder sb = new StringBuilder();
      if (p != null) {
        sb.append(p).append("; ").append(p.toPeer).append("; ").append(p.toHost);
      }
      if (transport.overflowDepth() > 0) {
        sb.append("; ").append(transport.overflowDepth()).append(" frames queued by the receive thread");
      }
      if (pool) {
        sb.append(HubSnapshot.describePool(mem, layout));
      }
      return sb.toString();
    }
  }

  private static final class ReclaimRequest {
    final int peer;
    final int epoch;
    final String reason;

    ReclaimRequest(int peer, int epoch, String reason) {
      this.peer = peer;
      this.epoch = epoch;
      this.reason = reason;
    }
  }

  @Override
  public String toString() {
    return "HubHost{" + file.path() + ", " + peersInUse() + " peers}";
  }
}
