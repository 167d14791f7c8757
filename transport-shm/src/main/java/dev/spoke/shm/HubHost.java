package dev.spoke.shm;

import dev.spoke.Status;
import dev.spoke.internal.InboundDelivery;
import dev.spoke.internal.LogThrottle;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
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
 * <p><b>Reclaim</b> is a request that the receive loop's leader carries out — the one thread that
 * changes the pool's free lists, so two rebuilds never interleave. It marks the entry DEAD (senders see
 * it and stop) and the transport closed, takes the transport's consumer role (so no thread is reading a
 * slot it is about to free; if a caller holds the role, the reclaim waits a round for it), frees every
 * slot the peer still held or that was in flight to or from it, rebuilds the free lists and frees the
 * entry; only then are the transport's listener (calls in flight fail with UNAVAILABLE, naming the plugin
 * and why) and the peer-gone listener told, so that application code they run cannot interleave with
 * the pool work. Afterwards the pool is as if the peer had never been.
 *
 * <p><b>Pool check</b>: every heartbeat interval the supervisor checks every free list read-only
 * ({@link SlotAllocator#check}); a list that stays broken, or FREE slots that stay off it, across two
 * checks get that class rebuilt by the receive loop.
 *
 * <p><b>The header and the file</b>: the host owns the truth of its hub. Every heartbeat interval (and
 * before every reservation) the supervisor holds the header to the host's own copy and rewrites what
 * another process overwrote ({@link HubHeaderGuard}), and checks the hub's backing ({@link
 * HubBacking}): sealed memory cannot be truncated, and its name in the hub directory is put back if it
 * goes; a plain file that was truncated, removed or replaced means the hub is <b>lost</b>. So does a
 * memory fault (the JVM's {@link InternalError} for SIGBUS) met by any of the hub's threads or callers,
 * once the file confirms it. A lost hub fails every transport with UNAVAILABLE saying what happened to
 * its file, tells the plugins to leave where it still can (state CLOSING), tells the hub-lost listener
 * (which stops the plugin processes), never touches the hub's memory again, and refuses reservations.
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

    /** The peer entry set aside. */
    public int peerId() {
      return peerId;
    }

    /** The entry's epoch for this launch; the plugin's token names it. */
    public int epoch() {
      return epoch;
    }

    /** The secret the plugin must present to attach; only its hash is in the hub. */
    public String token() {
      return token;
    }

    /** The plugin's name, as written in the entry. */
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
  private final HubInspection inspection;
  private final ReceiveLoop loop;
  private final Doorbell[] peerDoorbells;
  private final boolean[] launchedByHost;
  private final String[] names;
  private final Object reservationLock = new Object();
  /** Reclaims and pool repairs for the receive loop's leader to carry out. */
  private final ConcurrentLinkedQueue<LoopRequest> requests = new ConcurrentLinkedQueue<>();
  /** The leader is inside pool work (reclaim, rebuild): asserts that it never nests or interleaves. */
  private boolean inPoolWork;
  /** The supervisor's previous pool check, per class. */
  private SlotAllocator.ListCheck[] lastPoolCheck;
  /** The supervisor's reconciliation of every slot record against the live parties. */
  private final PoolReconciler reconciler;
  /** The supervisor's view of each plugin's reading: the head of its inbound ring, and since when. */
  private final long[] lastHead;
  private final long[] headSince;
  private volatile HubTransport[] transports;
  private volatile boolean stopping;
  /** Set once, when the hub's file is found truncated, removed or replaced: what callers are told. */
  private volatile Status lost;
  private volatile BiConsumer<Integer, String> peerGoneListener;
  private volatile Consumer<Status> hubLostListener;
  /** The supervisor's unexpected failures, and its reports of a hub name put back: a line a minute. */
  private final LogThrottle supervisorFailures = new LogThrottle(TimeUnit.MINUTES.toNanos(1));
  private final LogThrottle nameRestores = new LogThrottle(TimeUnit.MINUTES.toNanos(1));
  private final Thread supervisorThread;
  private int nextPeer;

  private HubHost(HubConfig config, HubFile file) {
    this.config = config;
    this.file = file;
    this.mem = file.buffer();
    this.layout = file.layout();
    this.slots = new SlotAllocator(mem, layout);
    this.reconciler = new PoolReconciler(mem, layout, config);
    this.inspection = new HubInspection(file.inspection(), layout.maxPeers, () -> lost != null,
        t -> MemoryFault.is(t) && hubFault(t) != null);
    this.peerDoorbells = new Doorbell[layout.maxPeers];
    for (int i = 0; i < layout.maxPeers; i++) {
      peerDoorbells[i] = new Doorbell(mem, layout.peerEntryOffset(i) + PeerEntryDescriptor.DOORBELL_OFFSET);
    }
    this.launchedByHost = new boolean[layout.maxPeers];
    this.lastHead = new long[layout.maxPeers];
    this.headSince = new long[layout.maxPeers];
    this.names = new String[layout.maxPeers];
    this.transports = new HubTransport[layout.maxPeers];
    this.loop = new ReceiveLoop("spoke-hub-receiver", new ReceiveLoop.Source() {
      @Override
      public HubTransport[] transports() {
        return transports;
      }

      @Override
      public int otherWork() {
        return processRequests();
      }

      @Override
      public boolean hasOtherWork() {
        return hasDueRequest();
      }

      @Override
      public boolean hasDeferredWork() {
        return !requests.isEmpty();
      }

      @Override
      public boolean stopping() {
        return stopping || lost != null;
      }

      @Override
      public boolean fault(Throwable failure) {
        return MemoryFault.is(failure) && hubFault(failure) != null;
      }
    }, new Doorbell(mem, HubHeaderDescriptor.HOST_DOORBELL_OFFSET), config);
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
    host.loop.start();
    host.supervisorThread.start();
    log.info("hub {} ready: {} peers, rings of {}, pool {}", file.path(), config.maxPeers(), config.ringCapacity(),
        config.sizeClasses());
    return host;
  }

  /**
   * The hub's name in the hub directory: a link to its sealed memory, or the plain file. What {@code
   * spoke-inspect} and the sweep of stale hubs find.
   */
  public Path path() {
    return file.path();
  }

  /** The idle strategy the hub's receive loop follows on this machine (see IdleStrategy#forProcessors). */
  IdleStrategy idleStrategyInEffect() {
    return loop.strategy();
  }

  /** How long the hub's receive loop spins now before it parks (a racy read, for tests). */
  long spinWindowNanos() {
    return loop.spinWindowNanos();
  }

  /** How many times this host's receive loop took a thread's roles over (see {@code ReceiveLoop}); tests. */
  long takeOvers() {
    return loop.takeOvers();
  }

  /** How many times this host's receive loop's standby looked for stuck threads; tests. */
  long standbyLooks() {
    return loop.looks();
  }

  /** The interval between quiet looks of this host's receive loop's standby, in ns; tests. */
  long standbyQuietIntervalNanos() {
    return loop.quietLookIntervalNanos();
  }

  /**
   * The path a plugin opens to attach ({@code /proc/<hostpid>/fd/<n>} for sealed memory, else the plain
   * file): pass it as the plugin's hub path. It leads to the hub even if its name in the directory is
   * removed or replaced.
   */
  public Path attachPath() {
    return file.attachPath();
  }

  /** True if the hub is sealed memory, which no process can truncate or grow. */
  public boolean isSealed() {
    return file.sealed();
  }

  /** Why the hub was lost (its file truncated, removed or replaced), or null while it works. */
  public Status lostStatus() {
    return lost;
  }

  /** The configuration the hub was created with. */
  public HubConfig config() {
    return config;
  }

  SharedBuffer memory() {
    return mem;
  }

  HubLayout layout() {
    return layout;
  }

  /** The writer of the hub's inspection region: method names and calls in flight, for {@code spoke-inspect}. */
  public HubInspection inspection() {
    return inspection;
  }

  /** Runs {@code listener(peerId, reason)} on the receive thread after a peer was reclaimed. Must not block. */
  public void onPeerGone(BiConsumer<Integer, String> listener) {
    this.peerGoneListener = listener;
  }

  /**
   * Runs {@code listener} once, with the status calls now fail with, if the hub is lost (its file was
   * truncated, removed or replaced). It runs on whichever thread found out and must not block: stop the
   * plugins' processes from a thread of its own.
   */
  public void onHubLost(Consumer<Status> listener) {
    this.hubLostListener = listener;
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
    try {
      return reserve(name, launchedByHost);
    } catch (InternalError e) {
      Status s = MemoryFault.is(e) ? hubFault(e) : null;
      if (s == null) {
        throw e;
      }
      throw new IllegalStateException(s.getDescription());
    }
  }

  private Reservation reserve(String name, boolean launchedByHost) {
    synchronized (reservationLock) {
      if (stopping) {
        throw new IllegalStateException("the hub is closing");
      }
      Status gone = lost;
      if (gone != null) {
        throw new IllegalStateException(gone.getDescription());
      }
      // The plugin about to be launched reads the header: make sure it says what the host wrote.
      file.header().checkAndRepair();
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
        mem.putLong(e + PeerEntryDescriptor.LEAVE_REASON_OFFSET, 0); // reason and detail
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
    requestReclaim(reservation.peerId, reservation.epoch, reason, false);
  }

  /**
   * Reclaims a peer whose process is known to have exited (its {@link Process} ended). As {@link
   * #releasePeer}, and the transport's listener also hears which calls' CALL_START frames the host had
   * published to the peer and the peer never took off its ring: they did not run (see {@link
   * dev.spoke.transport.FrameListener#onTransportClosed(Status, long[])}). The peer's own head says what
   * it took; the entries are read before anything of the peer's is freed. Only for a process that is
   * gone: a live one could still take them.
   *
   * @return completes once the reclaim is done (or was done before)
   */
  public CompletableFuture<Void> releaseExitedPeer(Reservation reservation, String reason) {
    if (lost != null) {
      // Nothing of a lost hub is touched again: its transports were closed when it was lost.
      return CompletableFuture.completedFuture(null);
    }
    LoopRequest r = new LoopRequest(reservation.peerId, reservation.epoch, reason, -1, true);
    requests.add(r);
    try {
      loop.wake();
    } catch (InternalError e) {
      // The plugin left because the hub's file was truncated before the host found out: ringing the
      // loop's doorbell faults. The hub is lost now, and nothing of it is reclaimed.
      if (!MemoryFault.is(e) || hubFault(e) == null) {
        throw e;
      }
      r.done.complete(null);
    }
    return r.done;
  }

  /** The pid the plugin wrote when it attached, or 0 before (and once the hub is lost). */
  public long peerPid(Reservation reservation) {
    if (lost != null) {
      return 0;
    }
    long e = layout.peerEntryOffset(reservation.peerId);
    return mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET) == reservation.epoch
        ? mem.getLongAcquire(e + PeerEntryDescriptor.PID_OFFSET) : 0;
  }

  /** True while the reservation's plugin holds its entry (RESERVED or ACTIVE in its epoch). */
  public boolean isPeerLive(Reservation reservation) {
    return lost == null && peerLive(reservation.peerId, reservation.epoch);
  }

  /** True once the plugin attached (ACTIVE in the reservation's epoch). */
  public boolean isPeerAttached(Reservation reservation) {
    if (lost != null) {
      return false;
    }
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

  private void requestReclaim(int peer, int epoch, String reason, boolean exited) {
    if (lost != null) {
      return; // nothing of a lost hub is touched again
    }
    requests.add(new LoopRequest(peer, epoch, reason, -1, exited));
    loop.wake();
  }

  private void requestRebuild(int sizeClass, String why) {
    if (lost != null) {
      return;
    }
    requests.add(new LoopRequest(-1, 0, why, sizeClass, false));
    loop.wake();
  }

  private void requestOrphansFreed(List<PoolReconciler.Orphan> orphans) {
    if (lost != null) {
      return;
    }
    LoopRequest r = new LoopRequest(-1, 0, orphans.size() + " orphaned slots", -1, false);
    r.orphans = orphans;
    requests.add(r);
    loop.wake();
  }

  private boolean hasDueRequest() {
    if (requests.isEmpty()) {
      return false; // the usual case, at every park of the loop: no clock read, no iterator
    }
    long now = System.nanoTime();
    for (LoopRequest r : requests) {
      if (now - r.notBefore >= 0) {
        return true;
      }
    }
    return false;
  }

  /** The loop's leader: carries out the requests that are due; one that must wait goes back in line. */
  private int processRequests() {
    if (requests.isEmpty()) {
      return 0;
    }
    int n = 0;
    long now = System.nanoTime();
    for (int i = requests.size(); i > 0 && loop.isLoopThread() && !InboundDelivery.takenOver(); i--) {
      LoopRequest r = requests.poll();
      if (r == null) {
        break;
      }
      if (now - r.notBefore < 0) {
        requests.add(r);
        continue;
      }
      boolean done;
      try {
        done = r.orphans != null ? freeOrphans(r.orphans)
            : r.sizeClass >= 0 ? rebuildClass(r.sizeClass, r.reason) : reclaim(r);
      } catch (Throwable t) {
        r.done.complete(null); // it will not be carried out (a lost hub, most likely): nobody waits on it
        throw t;
      }
      if (done) {
        n++;
      } else {
        r.notBefore = now + ReceiveLoop.OVERFLOW_RETRY_NANOS;
        requests.add(r);
      }
    }
    return n;
  }

  private boolean rebuildClass(int sizeClass, String why) {
    assert loop.isLoopThread() : "pool work off the receive loop: " + Thread.currentThread().getName();
    assert !inPoolWork : "nested pool work";
    inPoolWork = true;
    try {
      slots.rebuildClass(sizeClass);
    } finally {
      inPoolWork = false;
    }
    log.warn("rebuilt the free list of {}", why);
    return true;
  }

  /** The loop's leader: frees slots the reconciliation judged orphaned and rebuilds their classes. */
  private boolean freeOrphans(List<PoolReconciler.Orphan> orphans) {
    assert loop.isLoopThread() : "pool work off the receive loop: " + Thread.currentThread().getName();
    assert !inPoolWork : "nested pool work";
    inPoolWork = true;
    try {
      java.util.BitSet classes = new java.util.BitSet();
      int freed = 0;
      for (PoolReconciler.Orphan o : orphans) {
        if (slots.freeOrphan(o.sizeClass, o.index, o.word)) {
          freed++;
          classes.set(o.sizeClass);
        }
      }
      classes.stream().forEach(slots::rebuildClass);
      if (freed > 0) {
        log.warn("the hub's pool check freed {} slot(s) no live party accounts for: {}", freed,
            orphans.size() <= 8 ? orphans : orphans.subList(0, 8) + " and " + (orphans.size() - 8) + " more");
      }
    } finally {
      inPoolWork = false;
    }
    return true;
  }

  /** The loop's leader. Returns false if the transport's consumer role is busy: try again soon. */
  private boolean reclaim(LoopRequest r) {
    assert loop.isLoopThread() : "reclaim off the receive loop: " + Thread.currentThread().getName();
    int peer = r.peer;
    long e = layout.peerEntryOffset(peer);
    HubTransport t = transports[peer];
    if (t == null || t.epoch() != r.epoch) {
      r.done.complete(null);
      return true; // already reclaimed
    }
    for (int attempt = 0; ; attempt++) {
      int state = mem.getIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET);
      if (state == PeerEntryDescriptor.FREE || state == PeerEntryDescriptor.DEAD) {
        break;
      }
      // NOTE: DEAD is visible to senders before we scan the slots below (see HubTransport.tryPublish).
      if (mem.compareAndSetInt(e + PeerEntryDescriptor.STATE_OFFSET, state, PeerEntryDescriptor.DEAD)) {
        break;
      }
      if (attempt > 1000) {
        // Only a misbehaving process rewrites the state word this fast; the host's word is final.
        mem.putIntVolatile(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.DEAD);
        break;
      }
    }
    long pid = mem.getLongVolatile(e + PeerEntryDescriptor.PID_OFFSET);
    String who = "plugin '" + names[peer] + "'" + (pid > 0 ? " (pid " + pid + ")" : "");
    // A plugin that left for a reason of its own said why in its entry before it marked it DEAD.
    String left = PeerEntryDescriptor.describeLeave(mem.getInt(e + PeerEntryDescriptor.LEAVE_REASON_OFFSET),
        mem.getInt(e + PeerEntryDescriptor.LEAVE_DETAIL_OFFSET));
    if (left != null) {
      log.warn("{} {}", who, left);
    }
    Status status = Status.UNAVAILABLE.withDescription(who + " " + r.reason + (left != null ? " (" + left + ")" : ""));
    t.markClosed(status);
    RingConsumer consumer = t.consumer();
    if (!consumer.beginReclaim()) {
      long waited = System.nanoTime() - r.createdNanos;
      if (waited - r.lastWarnedNanos > TimeUnit.SECONDS.toNanos(1)) {
        r.lastWarnedNanos = waited;
        Thread owner = consumer.owner();
        log.warn("the reclaim of {} has waited {} ms for thread {}, which is delivering its frames "
            + "(a handler on a direct executor that blocks outside Spoke's calls holds it)", who,
            TimeUnit.NANOSECONDS.toMillis(waited), owner == null ? "?" : owner.getName());
      }
      return false;
    }
    int drained;
    int freed;
    long[] unread = r.exited ? unreadCallStarts(t) : FrameListener.NONE_UNREAD;
    assert !inPoolWork : "nested pool work";
    inPoolWork = true;
    try {
      drained = drainToPeer(peer, t);
      freed = slots.reclaim(peer);
    } finally {
      inPoolWork = false;
      consumer.endReclaim();
    }
    setTransport(peer, null);
    mem.putLong(e + PeerEntryDescriptor.PID_OFFSET, 0);
    mem.putLong(e + PeerEntryDescriptor.TOKEN_HASH_OFFSET, 0);
    mem.putLong(e + PeerEntryDescriptor.LEAVE_REASON_OFFSET, 0);
    mem.putIntRelease(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.FREE);
    peerDoorbells[peer].wake(); // a plugin still running sees its entry gone and stops
    log.debug("reclaimed {}: {}; {} frames to it unread ({} of them calls reported unread), {} slots returned",
        who, r.reason, drained, unread.length, freed);
    // Application code may run from here on (listeners of calls that fail): the pool work is done.
    // NOTE: the status the transport was closed with, which is this reclaim's only if nothing closed it
    // first: a transport the host closed itself (close(status), which requested this reclaim) tells its
    // listener that status whichever of the two gets to the listener first.
    t.tellListenerClosed(t.closedStatus(), unread);
    t.markReclaimed(r.reason);
    r.done.complete(null);
    BiConsumer<Integer, String> l = peerGoneListener;
    if (l != null) {
      try {
        l.accept(peer, left != null ? r.reason + " (" + left + ")" : r.reason);
      } catch (Throwable x) {
        log.error("peer-gone listener failed", x);
      }
    }
    return true;
  }

  /**
   * Counts the descriptors the host published to the dead peer that it never read (the slots they
   * carry are freed by the reclaim's scan of the pool, which frees every slot in flight to the peer).
   */
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
        n++;
      }
    }
    return n;
  }

  /**
   * The call ids of the CALL_START descriptors the host published to the peer that it never took: those
   * from its head (which it moves past an entry before acting on it) to the tail. Read before the
   * reclaim frees anything. A head the peer scribbled over yields nothing: unread is reported only when
   * it is known.
   */
  private long[] unreadCallStarts(HubTransport t) {
    DescriptorRing ring = t.outRing();
    long head = ring.headVolatile();
    long tail = ring.tailVolatile();
    if (tail - head <= 0 || tail - head > layout.ringCapacity) {
      return FrameListener.NONE_UNREAD;
    }
    long[] ids = new long[(int) (tail - head)];
    int n = 0;
    for (long p = head; p != tail; p++) {
      long entry = ring.entryOffset(p);
      if (ring.isPublished(p) && mem.getByte(entry + FrameDescriptor.MODE_OFFSET) != FrameDescriptor.MODE_PADDING
          && (mem.getByte(entry + FrameDescriptor.KIND_OFFSET) & 0xFF) == FrameKind.CALL_START.code()) {
        ids[n++] = mem.getLong(entry + FrameDescriptor.CALL_ID_OFFSET);
      }
    }
    return java.util.Arrays.copyOf(ids, n);
  }

  // ---------------------------------------------------------------------------------------------
  // The supervisor thread

  private void superviseLoop() {
    long interval = config.heartbeatInterval().toNanos();
    long timeout = config.heartbeatTimeout().toNanos();
    while (!stopping && lost == null) {
      try {
        // The file first: the rest reads the hub's memory, which a truncated file no longer backs.
        HubBacking.Loss loss = file.checkBacking();
        if (loss != null) {
          hubLost(loss);
          return;
        }
        String restored = file.restoreName();
        if (restored != null && nameRestores.admit() >= 0) {
          log.warn("{}", restored);
        }
        file.header().checkAndRepair();
        long now = System.nanoTime();
        mem.putLongRelease(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET, now);
        supervisePeers(now, timeout);
        checkPool();
      } catch (Throwable t) {
        if (MemoryFault.is(t) && hubFault(t) != null) {
          return;
        }
        long heldBack = supervisorFailures.admit();
        if (heldBack >= 0) {
          log.error("hub supervisor failed; continuing{}", LogThrottle.heldBackNote(heldBack), t);
        }
      }
      LockSupport.parkNanos(this, interval);
    }
  }

  /** The supervisor: each peer's liveness, as the entry and its process say. */
  private void supervisePeers(long now, long timeout) {
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
        requestReclaim(i, t.epoch(), "detached", false);
      } else if (!launchedByHost[i] && pid > 0 && !ProcessLiveness.isAlive(pid, 0)) {
        // Plugins the host launched are watched through their Process, which knows the exit status.
        requestReclaim(i, t.epoch(), "exited", true); // its pid is gone: what it did not take it never will
      } else if (state == PeerEntryDescriptor.ACTIVE && !launchedByHost[i]) {
        long beat = mem.getLongAcquire(e + PeerEntryDescriptor.HEARTBEAT_OFFSET);
        if (now - beat > timeout) {
          requestReclaim(i, t.epoch(), String.format("stopped its heartbeat (last %.1fs ago)", (now - beat) / 1e9), false);
        }
      }
      if (state == PeerEntryDescriptor.ACTIVE) {
        checkReading(i, t, now);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // A lost hub

  /**
   * Any thread whose access to the hub's memory faulted: if the file confirms it (truncated, removed or
   * replaced), the hub is lost; returns the status callers get, or null if the file is whole and the
   * fault is not the hub's.
   */
  Status hubFault(Throwable fault) {
    Status s = lost;
    if (s != null) {
      return s;
    }
    HubBacking.Loss loss = file.checkBacking();
    if (loss == null) {
      return null;
    }
    hubLost(loss);
    return lost;
  }

  /** The hub's file was truncated, removed or replaced: see the class comment. Once. */
  private void hubLost(HubBacking.Loss loss) {
    Status status = Status.UNAVAILABLE.withDescription("the hub is lost: its file " + file.path() + " was " + loss.what
        + " by another process, so nothing can go through it any more");
    synchronized (reservationLock) {
      if (lost != null || stopping) {
        return;
      }
      lost = status;
    }
    log.error("{}; its plugins ({} in use) are told to leave and their calls fail UNAVAILABLE",
        status.getDescription(), peersInUse());
    if (loss.mappingIntact) {
      // The host's mapping still works (the file was replaced or removed, not shrunk): plugins leave
      // when they read CLOSING, and at once if their doorbells ring.
      try {
        file.markClosing();
        for (Doorbell d : peerDoorbells) {
          d.wake();
        }
      } catch (Throwable t) {
        log.debug("could not tell the plugins through the lost hub: {}", t.toString());
      }
    }
    for (HubTransport t : transports) {
      if (t != null) {
        try {
          t.closeLocally(status);
        } catch (Throwable x) {
          log.debug("closing {}: {}", t, x.toString());
        }
      }
    }
    // Requests already queued are never carried out (the memory is not touched again); whoever waits
    // on one hears it is over.
    for (LoopRequest r; (r = requests.poll()) != null; ) {
      r.done.complete(null);
    }
    Consumer<Status> l = hubLostListener;
    if (l != null) {
      try {
        l.accept(status);
      } catch (Throwable t) {
        log.error("hub-lost listener failed", t);
      }
    }
  }

  /**
   * The supervisor: a plugin that leaves frames unread in its ring for longer than {@link
   * HubConfig#hungAfter()} — its head has not moved while the ring held frames — is hung: reclaimed,
   * so its calls fail naming it, and its process stopped (see the host's Plugin).
   */
  private void checkReading(int peer, HubTransport t, long now) {
    DescriptorRing ring = t.outRing();
    long head = ring.headVolatile();
    long depth = ring.depth();
    if (depth == 0 || head != lastHead[peer]) {
      lastHead[peer] = head;
      headSince[peer] = now;
      return;
    }
    long stalled = now - headSince[peer];
    if (stalled > config.hungAfter().toNanos()) {
      headSince[peer] = now; // one request per stall
      requestReclaim(peer, t.epoch(), String.format("stopped reading its ring for %.1fs with %d frames waiting "
          + "(hung; the limit is HubConfig.hungAfter, %d ms)", stalled / 1e9, depth, config.hungAfter().toMillis()),
          false); // a hung process may still read what waits for it
    }
  }

  /**
   * The supervisor: checks every free list (read-only) and asks the receive loop to rebuild one that
   * stayed broken since the last check (see {@link SlotAllocator.ListCheck#needsRebuild}).
   */
  private void checkPool() {
    if (lastPoolCheck == null) {
      lastPoolCheck = new SlotAllocator.ListCheck[slots.classCount()];
    }
    for (int c = 0; c < slots.classCount(); c++) {
      SlotAllocator.ListCheck check = slots.check(c);
      if (check.needsRebuild(lastPoolCheck[c])) {
        log.warn("the hub's pool check found {}: rebuilding that list", check);
        requestRebuild(c, check.toString());
        lastPoolCheck[c] = null;
      } else {
        lastPoolCheck[c] = check;
      }
    }
    List<PoolReconciler.Orphan> orphans = reconciler.check(parties, System.nanoTime());
    if (!orphans.isEmpty()) {
      requestOrphansFreed(orphans);
    }
  }

  /** The live parties, as the reconciliation sees them: the host, and peers holding a live entry. */
  private final PoolReconciler.Parties parties = new PoolReconciler.Parties() {
    @Override
    public boolean live(int party) {
      if (party == SlotDescriptor.HOST_ID) {
        return true;
      }
      if (party < 0 || party >= layout.maxPeers) {
        return false;
      }
      HubTransport t = transports[party];
      return t != null && peerLive(party, t.epoch());
    }

    @Override
    public boolean retainedByHost(long ref) {
      return slots.isRetained(ref);
    }

    @Override
    public DescriptorRing ring(int owner, int receiver) {
      if (owner == SlotDescriptor.HOST_ID && receiver >= 0 && receiver < layout.maxPeers) {
        HubTransport t = transports[receiver];
        return t == null ? null : t.outRing();
      }
      if (receiver == SlotDescriptor.HOST_ID && owner >= 0 && owner < layout.maxPeers) {
        HubTransport t = transports[owner];
        return t == null ? null : t.inRing();
      }
      return null;
    }
  };

  /**
   * Null if every slot of the pool is FREE and on its class's free list exactly once (the lists walked
   * from their heads); otherwise what is not. For tests and diagnostics: a hub at rest must say null.
   */
  public String poolProblems() {
    StringBuilder problems = new StringBuilder();
    for (int c = 0; c < slots.classCount(); c++) {
      SlotAllocator.ListCheck check = slots.check(c);
      HubSnapshot.ClassUsage usage = HubSnapshot.captureClass(mem, layout, c);
      if (check.moved || check.problem != null || !check.unlinked.isEmpty() || usage.free != usage.slotCount) {
        problems.append(problems.length() == 0 ? "" : "; ").append(check.moved ? "size class " + c + " is in use" : check)
            .append(" (").append(usage).append(')');
      }
    }
    return problems.length() == 0 ? null : problems.toString();
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A picture of the whole hub.
   *
   * @throws IllegalStateException once the hub is lost: its memory is not read again
   */
  public HubSnapshot snapshot() {
    Status gone = lost;
    if (gone != null) {
      throw new IllegalStateException(gone.getDescription());
    }
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
   * transport with UNAVAILABLE, stops the threads and removes the hub's name (and a plain file). A lost
   * hub's memory is not touched. Idempotent; never throws.
   */
  @Override
  public void close() {
    synchronized (reservationLock) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    if (lost == null) {
      // A plain file truncated since the supervisor last looked must not be written to now.
      HubBacking.Loss loss = file.checkBacking();
      if (loss != null) {
        lost = Status.UNAVAILABLE.withDescription("the hub is lost: its file " + file.path() + " was " + loss.what
            + " by another process");
        log.error("{}; closing it", lost.getDescription());
      }
    }
    boolean whole = lost == null;
    try {
      if (whole) {
        file.markClosing();
      }
      Status status = whole ? Status.UNAVAILABLE.withDescription("the host closed the hub") : lost;
      for (int i = 0; i < layout.maxPeers; i++) {
        HubTransport t = transports[i];
        if (t != null) {
          t.closeLocally(status);
        }
        if (whole) {
          peerDoorbells[i].wake();
        }
      }
      // A lost hub's doorbell is not rung: a parked receive thread ends within its park limit.
      if (!loop.stopAndJoin(2_000, whole) && whole) {
        log.warn("the hub's receive loop did not stop within 2 s ({})", loop);
      }
      supervisorThread.interrupt();
      LockSupport.unpark(supervisorThread);
      supervisorThread.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.error("closing hub {} failed; removing it anyway", file.path(), t);
    }
    file.close();
    log.info("hub {} closed", file.path());
    Throwable failure = loop.firstFailure();
    assert failure == null : "the hub's receive loop failed while it ran: " + failure;
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
      requestReclaim(peer, transport.epoch(), "was disconnected: " + what, false);
    }

    @Override
    public void closed(HubTransport transport, Status status) {
      requestReclaim(peer, transport.epoch(), "was disconnected by the host: " + status.getDescription(), false);
    }

    @Override
    public Status hubFault(HubTransport transport, Throwable fault) {
      return HubHost.this.hubFault(fault);
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

  /** Work for the receive loop's leader: a peer's reclaim, or the rebuild of one size class's list. */
  private static final class LoopRequest {
    final int peer;
    final int epoch;
    final String reason;
    /** The size class to rebuild, or -1 for a reclaim. */
    final int sizeClass;
    final long createdNanos = System.nanoTime();
    /** A reclaim of a peer whose process has exited: report the calls it never read. */
    final boolean exited;
    /** Completes once the request was carried out. */
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** Not to be tried before this System.nanoTime() value (set when it had to wait). */
    long notBefore = createdNanos;
    long lastWarnedNanos;
    /** Slots to free (a reconciliation's repair), or null. */
    List<PoolReconciler.Orphan> orphans;

    LoopRequest(int peer, int epoch, String reason, int sizeClass, boolean exited) {
      this.peer = peer;
      this.epoch = epoch;
      this.reason = reason;
      this.sizeClass = sizeClass;
      this.exited = exited;
    }
  }

  @Override
  public String toString() {
    return "HubHost{" + file.path() + ", " + peersInUse() + " peers}";
  }
}
