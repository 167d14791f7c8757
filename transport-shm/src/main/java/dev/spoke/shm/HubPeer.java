package dev.spoke.shm;

import dev.spoke.Status;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A plugin's side of a hub: attaches to the peer entry the host reserved for it, receives on its own
 * thread, writes its heartbeat, and watches the host.
 *
 * <p><b>Attach</b>: open and validate the file; the entry must be RESERVED, in the epoch the token
 * names, and the token's hash must match the one in the entry; then write the pid and CAS RESERVED →
 * ACTIVE. Every refusal says which of these failed.
 *
 * <p><b>Host death</b>: the liveness thread waits on the host's process (a pidfd: it wakes the moment
 * the host exits; see {@link ProcessWatch}) and every heartbeat interval checks that the hub is not
 * closing and that this entry is still ours. When any fails the transport closes with UNAVAILABLE saying
 * why, and the {@link #onHostGone} callback runs, typically to exit. A host heartbeat older than the
 * heartbeat timeout is only logged: a host stopped in a debugger, suspended with Ctrl-Z or starved of
 * CPU is still the plugin's host, and its plugins must be there when it resumes; the process's end is
 * what ends them.
 *
 * <p><b>A header it cannot trust</b>: after attaching, the only header field a plugin reads is the hub
 * state (the host pid, start time and heartbeat settings were validated at open and are kept). CLOSING
 * means leave at once. A value that is neither READY nor CLOSING is garbage another process wrote; the
 * host puts its header back within a heartbeat interval, so the plugin looks again every quarter
 * interval and leaves only if the garbage outlasts {@link #untrustedAfterNanos two intervals and a
 * second}: then it writes why in its entry (the host logs it), marks the entry DEAD and goes, with a
 * {@code DATA_LOSS} status for the host-gone callback.
 *
 * <p><b>A truncated hub file</b> (possible only when the hub is a plain file): the liveness thread
 * checks the file's size every interval, and a memory fault met by any of the plugin's threads has the
 * file checked at once; either way the plugin leaves with {@code DATA_LOSS} without touching the hub's
 * memory again.
 *
 * <p>Thread-safe.
 */
public final class HubPeer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HubPeer.class);

  private final HubConfig config;
  private final HubFile file;
  private final SharedBuffer mem;
  private final HubLayout layout;
  private final int peerId;
  private final int epoch;
  private final long entry;
  private final long hostPid;
  private final long hostStartMillis;
  private final ReceiveLoop loop;
  private final HubTransport transport;
  private final Thread livenessThread;
  private volatile boolean stopping;
  /** Set when the hub's file was found truncated: its memory is not touched again. */
  private volatile Status hubLost;
  /** Set once, by whichever ends this attachment first (close, the host gone, a violation). */
  private final java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile Consumer<Status> hostGoneListener;

  private HubPeer(HubConfig config, HubFile file, int peerId, int epoch, String name) {
    this.config = config;
    this.file = file;
    this.mem = file.buffer();
    this.layout = file.layout();
    this.peerId = peerId;
    this.epoch = epoch;
    this.entry = layout.peerEntryOffset(peerId);
    // Validated when the file was opened; the header in memory is not read for them again.
    this.hostPid = file.hostPid();
    this.hostStartMillis = file.hostStartMillis();
    Doorbell hostDoorbell = new Doorbell(mem, HubHeaderDescriptor.HOST_DOORBELL_OFFSET);
    SlotAllocator slots = new SlotAllocator(mem, layout);
    DescriptorRing out = new DescriptorRing(mem, layout.peerToHostRingOffset(peerId), layout.ringCapacity, name + "→host");
    DescriptorRing in = new DescriptorRing(mem, layout.hostToPeerRingOffset(peerId), layout.ringCapacity, "host→" + name);
    HubTransport[] served = new HubTransport[1];
    this.loop = new ReceiveLoop("spoke-peer-receiver", new ReceiveLoop.Source() {
      @Override
      public HubTransport[] transports() {
        return served;
      }

      @Override
      public int otherWork() {
        checkEntry();
        return 0;
      }

      @Override
      public boolean hasOtherWork() {
        return false;
      }

      @Override
      public boolean stopping() {
        return stopping;
      }

      @Override
      public boolean fault(Throwable failure) {
        return MemoryFault.is(failure) && hubFault() != null;
      }
    }, new Doorbell(mem, entry + PeerEntryDescriptor.DOORBELL_OFFSET), config);
    this.transport = new HubTransport(mem, slots, out, in, hostDoorbell, peerId, SlotDescriptor.HOST_ID, epoch,
        "plugin '" + name + "'", "host (pid " + hostPid + ")", config, new PeerEndpoint());
    served[0] = transport;
    this.livenessThread = new Thread(this::livenessLoop, "spoke-peer-liveness");
    this.livenessThread.setDaemon(true);
  }

  /**
   * Attaches to the hub at {@code path} as peer {@code peerId} with the token the host gave.
   *
   * @param config only the idle strategy, timeouts and park limit are used; the hub's shape and
   *     heartbeat settings come from the file
   * @throws HubFormatException if the file is not a usable hub
   * @throws HubAttachException if the entry cannot be taken, saying why
   */
  public static HubPeer attach(Path path, int peerId, String token, String name, HubConfig config) throws IOException {
    HubFile file = HubFile.open(path);
    try {
      return attach(file, path, peerId, token, name, config);
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  private static HubPeer attach(HubFile file, Path path, int peerId, String token, String name, HubConfig config)
      throws IOException {
    HubLayout layout = file.layout();
    SharedBuffer mem = file.buffer();
    if (peerId < 0 || peerId >= layout.maxPeers) {
      throw new HubAttachException("peer id " + peerId + " is outside [0, " + layout.maxPeers + ") of hub " + path);
    }
    int dot = token == null ? -1 : token.indexOf('.');
    int tokenEpoch;
    try {
      tokenEpoch = Integer.parseInt(token.substring(0, dot));
    } catch (RuntimeException e) {
      throw new HubAttachException("malformed hub token (expected <epoch>.<hex>)");
    }
    long e = layout.peerEntryOffset(peerId);
    int state = mem.getIntAcquire(e + PeerEntryDescriptor.STATE_OFFSET);
    int entryEpoch = mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET);
    if (state != PeerEntryDescriptor.RESERVED) {
      long pid = mem.getLong(e + PeerEntryDescriptor.PID_OFFSET);
      throw new HubAttachException("peer entry " + peerId + " of hub " + path + " is " + PeerEntryDescriptor.stateName(state)
          + (pid > 0 ? " (held by pid " + pid + ")" : "") + ", not RESERVED for a new plugin: "
          + (state == PeerEntryDescriptor.ACTIVE ? "another process attached with it" : "this launch is stale"));
    }
    if (entryEpoch != tokenEpoch) {
      throw new HubAttachException("the token is for epoch " + tokenEpoch + " but peer entry " + peerId + " is at epoch "
          + entryEpoch + ": this launch is stale");
    }
    if (mem.getLong(e + PeerEntryDescriptor.TOKEN_HASH_OFFSET) != HubHost.tokenHash(token)) {
      throw new HubAttachException("the token does not match peer entry " + peerId + " of hub " + path);
    }
    long pid = ProcessHandle.current().pid();
    mem.putLong(e + PeerEntryDescriptor.PID_OFFSET, pid);
    mem.putLong(e + PeerEntryDescriptor.ATTACHED_MILLIS_OFFSET, System.currentTimeMillis());
    mem.putLongRelease(e + PeerEntryDescriptor.HEARTBEAT_OFFSET, System.nanoTime());
    if (!mem.compareAndSetInt(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.RESERVED, PeerEntryDescriptor.ACTIVE)) {
      throw new HubAttachException("peer entry " + peerId + " changed while attaching (another process raced us)");
    }
    HubPeer peer = new HubPeer(config, file, peerId, tokenEpoch, name);
    peer.loop.start();
    peer.livenessThread.start();
    log.debug("attached to {} as peer {} (epoch {})", path, peerId, tokenEpoch);
    return peer;
  }

  /** The connection to the host. */
  public HubTransport transport() {
    return transport;
  }

  /** The peer entry this plugin holds. */
  public int peerId() {
    return peerId;
  }

  /** The host's pid, as the hub's header gives it. */
  public long hostPid() {
    return hostPid;
  }

  /** The hub file. */
  public Path path() {
    return file.path();
  }

  /**
   * Runs {@code listener} once, with the reason, when the host goes away or takes this entry back; the
   * status is {@code DATA_LOSS} when the plugin left because it could no longer use the hub (a header
   * that stayed garbage, a truncated file), {@code UNAVAILABLE} otherwise.
   */
  public void onHostGone(Consumer<Status> listener) {
    this.hostGoneListener = listener;
  }

  /** A picture of the whole hub, as this plugin sees it. */
  public HubSnapshot snapshot() {
    return HubSnapshot.capture(file.path().toString(), mem, layout, 8);
  }

  // ---------------------------------------------------------------------------------------------

  private void livenessLoop() {
    // The host's settings, as the header said when it was opened (a hub of layout 1.0 has none).
    long interval = file.heartbeatInterval(config.heartbeatInterval()).toNanos();
    long timeout = file.heartbeatTimeout(config.heartbeatTimeout()).toNanos();
    try (ProcessWatch host = ProcessWatch.of(hostPid, hostStartMillis)) {
      livenessLoop(host, interval, timeout);
    } catch (InternalError e) {
      // Its heartbeat went to a page the file no longer has (see MemoryFault): the hub is lost.
      if (!MemoryFault.is(e) || hubFault() == null) {
        throw e;
      }
    }
  }

  /**
   * How long the hub state may read garbage before the plugin stops trusting the hub: two heartbeat
   * intervals and a second, against a repair that comes within one interval.
   */
  static long untrustedAfterNanos(long intervalNanos) {
    return 2 * intervalNanos + TimeUnit.SECONDS.toNanos(1);
  }

  private void livenessLoop(ProcessWatch host, long interval, long timeout) {
    long silentSince = 0; // the host heartbeat this loop last warned about, or 0
    long garbageSince = 0; // when the hub state first read garbage in the current run of it, or 0
    long untrustedAfter = untrustedAfterNanos(interval);
    long recheck = Math.max(TimeUnit.MILLISECONDS.toNanos(10), interval / 4);
    boolean hostEnded = false;
    while (!stopping) {
      String truncated = file.checkSize();
      if (truncated != null) {
        leaveLostHub(truncated);
        return;
      }
      mem.putLongRelease(entry + PeerEntryDescriptor.HEARTBEAT_OFFSET, System.nanoTime());
      if (hostEnded) {
        hostGone(Status.UNAVAILABLE.withDescription("the host (pid " + hostPid + ") exited"));
        return;
      }
      int state = mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE);
      if (state == HubHeaderDescriptor.STATE_CLOSING) {
        hostGone(Status.UNAVAILABLE.withDescription("the host is closing the hub"));
        return;
      }
      long now = System.nanoTime();
      if (state == HubHeaderDescriptor.STATE_READY) {
        if (garbageSince != 0) {
          log.info("the hub's state reads READY again after {} ms", TimeUnit.NANOSECONDS.toMillis(now - garbageSince));
          garbageSince = 0;
        }
      } else if (garbageSince == 0) {
        garbageSince = now;
        log.warn("the hub's state word reads 0x{} ({}), neither READY nor CLOSING: another process wrote over the "
            + "hub's header; looking again while the host repairs it", Integer.toHexString(state),
            HubHeaderDescriptor.stateName(state));
      } else if (now - garbageSince > untrustedAfter) {
        leaveUntrusted(state, now - garbageSince);
        return;
      }
      if (mem.getIntAcquire(entry + PeerEntryDescriptor.STATE_OFFSET) != PeerEntryDescriptor.ACTIVE
          || mem.getInt(entry + PeerEntryDescriptor.EPOCH_OFFSET) != epoch) {
        hostGone(Status.UNAVAILABLE.withDescription(
            "the host took back this plugin's peer entry (it judged the plugin gone or disconnected it)"));
        return;
      }
      long beat = mem.getLongAcquire(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET);
      long age = now - beat;
      if (age > timeout && silentSince == 0) {
        silentSince = beat;
        log.warn("the host (pid {}) has not written its heartbeat for {} s: it is suspended, stopped in a debugger "
            + "or starved of CPU; this plugin stays until the host process ends", hostPid, String.format("%.1f", age / 1e9));
      } else if (silentSince != 0 && beat != silentSince) {
        log.info("the host (pid {}) is writing its heartbeat again, after {} s", hostPid,
            String.format("%.1f", (beat - silentSince) / 1e9));
        silentSince = 0;
      }
      // Sleeps the interval (less while the state reads garbage), or less if the host exits meanwhile.
      hostEnded = host.awaitEnd(garbageSince != 0 ? recheck : interval);
    }
  }

  /**
   * The hub state kept reading garbage past the host's repair: says why in the entry, for the host to
   * log, marks it DEAD and leaves.
   */
  private void leaveUntrusted(int state, long forNanos) {
    String why = String.format("this plugin left the hub: its state word read 0x%08x (%s), neither READY nor "
        + "CLOSING, for %d ms, longer than its host takes to repair its header", state,
        HubHeaderDescriptor.stateName(state), TimeUnit.NANOSECONDS.toMillis(forNanos));
    log.error("{}", why);
    mem.putInt(entry + PeerEntryDescriptor.LEAVE_DETAIL_OFFSET, state);
    mem.putInt(entry + PeerEntryDescriptor.LEAVE_REASON_OFFSET, PeerEntryDescriptor.LEFT_HUB_UNTRUSTED);
    // The CAS to DEAD in leave publishes the reason with it.
    leave(Status.DATA_LOSS.withDescription(why), true, true);
  }

  /** Any of this plugin's threads whose access to the hub faulted: the status it means, or null. */
  private Status hubFault() {
    Status s = hubLost;
    if (s != null) {
      return s;
    }
    String truncated = file.checkSize();
    if (truncated == null) {
      return null;
    }
    leaveLostHub(truncated);
    return hubLost;
  }

  /** The hub's file was truncated: leaves without touching the hub's memory again. */
  private void leaveLostHub(String truncated) {
    Status status = Status.DATA_LOSS.withDescription("this plugin left the hub: its file " + file.path() + " was "
        + truncated + " by another process");
    synchronized (this) {
      if (hubLost != null) {
        return;
      }
      hubLost = status;
    }
    log.error("{}", status.getDescription());
    // Left from a thread of its own: a receive thread that faulted must not wait for itself.
    Thread leaving = new Thread(() -> leave(status, false, true), "spoke-peer-leave");
    leaving.setDaemon(true);
    leaving.start();
  }

  /**
   * The receive loop, each round (two volatile reads): the host took this entry back (it reclaimed the
   * plugin, and rings its doorbell when it does), or is closing the hub (it rings every plugin's): leave
   * now, from a thread of its own, rather than at the liveness thread's next look. Only CLOSING counts:
   * a state that reads garbage is the liveness thread's to judge.
   */
  private void checkEntry() {
    if (stopping || left.get()) {
      return;
    }
    String why = hostEndedAttachment();
    if (why == null) {
      return;
    }
    stopping = true; // once: the loop stops and this is not looked at again
    Thread leaving = new Thread(() -> hostGone(Status.UNAVAILABLE.withDescription(why)), "spoke-peer-leave");
    leaving.setDaemon(true);
    leaving.start();
  }

  /**
   * Why the host ended this attachment, or null while it counts on it: it is closing the hub, or it took
   * this plugin's peer entry back (the entry is no longer ACTIVE in this epoch).
   */
  private String hostEndedAttachment() {
    if (mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE) == HubHeaderDescriptor.STATE_CLOSING) {
      return "the host is closing the hub";
    }
    if (mem.getIntAcquire(entry + PeerEntryDescriptor.STATE_OFFSET) == PeerEntryDescriptor.ACTIVE
        && mem.getInt(entry + PeerEntryDescriptor.EPOCH_OFFSET) == epoch) {
      return null;
    }
    return "the host took back this plugin's peer entry (it judged the plugin gone or disconnected it)";
  }

  /** The host went away or took the entry back: leave, and tell the host-gone listener. */
  private void hostGone(Status status) {
    log.info("leaving the hub: {}", status.getDescription());
    leave(status, false, true);
  }

  /**
   * Detaches: marks the entry DEAD (the host then reclaims it) and stops the threads. Calls in flight
   * fail with UNAVAILABLE. Idempotent. The host-gone listener is not told: the application asked.
   */
  @Override
  public void close() {
    leave(Status.UNAVAILABLE.withDescription("the plugin detached from the hub"), true, false);
    Throwable failure = loop.firstFailure();
    assert failure == null : "the plugin's receive loop failed while it ran: " + failure;
  }

  /**
   * Ends this attachment, once, whoever asks first: stops the threads, closes the transport, marks the
   * entry DEAD when the host still counts on it, wakes the host, and tells the host-gone listener unless
   * the application itself asked. Waits for the receive loop's threads unless called on one of them.
   */
  private void leave(Status status, boolean markDead, boolean tellListener) {
    if (!left.compareAndSet(false, true)) {
      return;
    }
    stopping = true;
    LockSupport.unpark(livenessThread);
    // A truncated hub's memory is not touched again: no entry to mark, no doorbell to ring.
    boolean whole = hubLost == null;
    try {
      transport.closeLocally(status);
      if (whole) {
        if (markDead) {
          mem.compareAndSetInt(entry + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.ACTIVE, PeerEntryDescriptor.DEAD);
        }
        new Doorbell(mem, HubHeaderDescriptor.HOST_DOORBELL_OFFSET).wake();
      }
      if (!loop.stopAndJoin(1_000, whole)) {
        log.debug("the receive loop did not stop within 1 s ({})", loop);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.debug("leaving the hub: {}", t.toString()); // the listener below must hear of it regardless
    }
    file.close();
    if (tellListener) {
      Consumer<Status> l = hostGoneListener;
      if (l != null) {
        try {
          l.accept(status);
        } catch (Throwable t) {
          log.error("host-gone listener failed", t);
        }
      }
    }
  }

  private final class PeerEndpoint implements HubTransport.Endpoint {
    @Override
    public boolean remoteAlive(HubTransport t) {
      return !stopping && mem.getIntVolatile(entry + PeerEntryDescriptor.STATE_OFFSET) == PeerEntryDescriptor.ACTIVE;
    }

    @Override
    public ReceiveLoop receiveLoop() {
      return loop;
    }

    @Override
    public void violation(HubTransport t, String what) {
      // NOTE: a host that takes a live plugin's entry back frees the slots of the frames still in its
      // ring, so the plugin, reading on, finds descriptors whose slots are no longer in flight. The entry
      // is marked first (the reclaim's CAS to DEAD precedes its slot scan), so reading it after the bad
      // descriptor tells an ended attachment from a host that wrote garbage.
      String ended = hostEndedAttachment();
      // On the thread holding the consumer role, which must not block: leave from a thread of its own.
      Thread leaving = new Thread(() -> {
        if (ended != null) {
          hostGone(Status.UNAVAILABLE.withDescription(ended));
          return;
        }
        log.error("leaving the hub: {}", what);
        leave(Status.INTERNAL.withDescription("this plugin left the hub: " + what), true, true);
      }, "spoke-peer-leave");
      leaving.setDaemon(true);
      leaving.start();
    }

    @Override
    public void closed(HubTransport t, Status status) {
      // The application closed the transport (its connection shut down): the attachment ends with it.
      leave(status, true, false);
    }

    @Override
    public Status hubFault(HubTransport t, Throwable fault) {
      Status s = HubPeer.this.hubFault();
      return s == null ? null : Status.UNAVAILABLE.withDescription(s.getDescription());
    }

    @Override
    public String describe(HubTransport t, boolean pool) {
      HubSnapshot.PeerState p = HubSnapshot.capturePeer(mem, layout, peerId, System.nanoTime(), 4);
      StringBuilder sb = new StringBuilder();
      if (p != null) {
        sb.append(p.toHost).append("; ").append(p.toPeer);
      }
      if (pool) {
        sb.append(HubSnapshot.describePool(mem, layout));
      }
      return sb.toString();
    }
  }

  @Override
  public String toString() {
    return "HubPeer{peer " + peerId + " of " + file.path() + "}";
  }
}
