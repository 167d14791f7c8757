package dev.spoke.shm;

import dev.spoke.transport.FrameKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A picture of a hub: its host, every peer entry in use with both rings (head, tail, depth, whether
 * the consumer is parked, and the descriptors waiting), and the pool's usage per size class with the
 * owners of the slots in use. Each field is read once with acquire semantics; a hub changes while it is
 * read, so the picture is exact per field, not a frozen instant — the same as any live inspector's.
 *
 * <p>Timeout errors embed the parts they waited on; {@code spoke-inspect} prints the whole.
 *
 * <p>Immutable.
 */
public final class HubSnapshot {

  /** One descriptor waiting in a ring. */
  public static final class WaitingFrame {
    public final long position;
    public final String kind;
    public final long callId;
    public final int methodId;
    public final int payloadLength;
    public final String payload;

    WaitingFrame(long position, String kind, long callId, int methodId, int payloadLength, String payload) {
      this.position = position;
      this.kind = kind;
      this.callId = callId;
      this.methodId = methodId;
      this.payloadLength = payloadLength;
      this.payload = payload;
    }

    @Override
    public String toString() {
      return "#" + position + " " + kind + " call " + callId
          + (methodId != 0 ? " method 0x" + Integer.toHexString(methodId) : "") + " " + payloadLength + " B " + payload;
    }
  }

  /** One ring's cursors. */
  public static final class RingState {
    public final String name;
    public final long head;
    public final long tail;
    public final long depth;
    public final int capacity;
    public final boolean consumerParked;
    public final List<WaitingFrame> waiting;

    RingState(String name, long head, long tail, long depth, int capacity, boolean consumerParked, List<WaitingFrame> waiting) {
      this.name = name;
      this.head = head;
      this.tail = tail;
      this.depth = depth;
      this.capacity = capacity;
      this.consumerParked = consumerParked;
      this.waiting = waiting;
    }

    @Override
    public String toString() {
      return name + ": head " + head + ", tail " + tail + ", depth " + depth + "/" + capacity
          + (consumerParked ? ", consumer parked" : ", consumer awake");
    }
  }

  /** One peer entry in use. */
  public static final class PeerState {
    public final int id;
    public final String state;
    public final int epoch;
    public final long pid;
    public final String name;
    public final long heartbeatAgeMillis;
    public final RingState toPeer;
    public final RingState toHost;

    PeerState(int id, String state, int epoch, long pid, String name, long heartbeatAgeMillis, RingState toPeer, RingState toHost) {
      this.id = id;
      this.state = state;
      this.epoch = epoch;
      this.pid = pid;
      this.name = name;
      this.heartbeatAgeMillis = heartbeatAgeMillis;
      this.toPeer = toPeer;
      this.toHost = toHost;
    }

    @Override
    public String toString() {
      return "peer " + id + " '" + name + "' " + state + " epoch " + epoch + " pid " + pid + " heartbeat "
          + (heartbeatAgeMillis < 0 ? "never" : heartbeatAgeMillis + " ms ago");
    }
  }

  /** One size class's usage. */
  public static final class ClassUsage {
    public final int sizeClass;
    public final int slotSize;
    public final int slotCount;
    public final int free;
    public final int allocated;
    public final int inFlight;
    /** Slots in use per owner ("host", "peer 3"), allocated or in flight. */
    public final Map<String, Integer> owners;

    ClassUsage(int sizeClass, int slotSize, int slotCount, int free, int allocated, int inFlight, Map<String, Integer> owners) {
      this.sizeClass = sizeClass;
      this.slotSize = slotSize;
      this.slotCount = slotCount;
      this.free = free;
      this.allocated = allocated;
      this.inFlight = inFlight;
      this.owners = owners;
    }

    public int inUse() {
      return slotCount - free;
    }

    @Override
    public String toString() {
      return "class " + sizeClass + " (" + bytes(slotSize) + "): " + inUse() + " of " + slotCount + " in use ("
          + allocated + " allocated, " + inFlight + " in flight" + (owners.isEmpty() ? "" : "; " + owners) + ")";
    }
  }

  public final String path;
  public final long hostPid;
  public final String hubState;
  public final long hostHeartbeatAgeMillis;
  public final long totalSize;
  public final List<PeerState> peers;
  public final List<ClassUsage> pool;

  private HubSnapshot(String path, long hostPid, String hubState, long hostHeartbeatAgeMillis,
      long totalSize, List<PeerState> peers, List<ClassUsage> pool) {
    this.path = path;
    this.hostPid = hostPid;
    this.hubState = hubState;
    this.hostHeartbeatAgeMillis = hostHeartbeatAgeMillis;
    this.totalSize = totalSize;
    this.peers = peers;
    this.pool = pool;
  }

  /** Reads the hub; {@code maxWaiting} descriptors are listed per ring. */
  static HubSnapshot capture(String path, SharedBuffer mem, HubLayout layout, int maxWaiting) {
    long now = System.nanoTime();
    long hostBeat = mem.getLongAcquire(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET);
    List<PeerState> peers = new ArrayList<>();
    for (int i = 0; i < layout.maxPeers; i++) {
      PeerState p = capturePeer(mem, layout, i, now, maxWaiting);
      if (p != null) {
        peers.add(p);
      }
    }
    List<ClassUsage> pool = new ArrayList<>();
    for (int c = 0; c < layout.classCount(); c++) {
      pool.add(captureClass(mem, layout, c, peers));
    }
    return new HubSnapshot(path,
        mem.getLong(HubHeaderDescriptor.HOST_PID_OFFSET),
        HubHeaderDescriptor.stateName(mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE)),
        (now - hostBeat) / 1_000_000,
        layout.totalSize,
        Collections.unmodifiableList(peers),
        Collections.unmodifiableList(pool));
  }

  static PeerState capturePeer(SharedBuffer mem, HubLayout layout, int peer, long now, int maxWaiting) {
    long e = layout.peerEntryOffset(peer);
    int state = mem.getIntAcquire(e + PeerEntryDescriptor.STATE_OFFSET);
    if (state == PeerEntryDescriptor.FREE) {
      return null;
    }
    long beat = mem.getLongAcquire(e + PeerEntryDescriptor.HEARTBEAT_OFFSET);
    return new PeerState(peer,
        PeerEntryDescriptor.stateName(state),
        mem.getIntAcquire(e + PeerEntryDescriptor.EPOCH_OFFSET),
        mem.getLongAcquire(e + PeerEntryDescriptor.PID_OFFSET),
        readName(mem, e),
        beat == 0 ? -1 : (now - beat) / 1_000_000,
        captureRing(mem, layout, layout.hostToPeerRingOffset(peer), "host→peer " + peer, maxWaiting),
        captureRing(mem, layout, layout.peerToHostRingOffset(peer), "peer " + peer + "→host", maxWaiting));
  }

  private static RingState captureRing(SharedBuffer mem, HubLayout layout, long base, String name, int maxWaiting) {
    DescriptorRing ring = new DescriptorRing(mem, base, layout.ringCapacity, name);
    boolean parked = ring.isConsumerParked();
    long head = ring.headVolatile();
    long tail = ring.tailVolatile();
    long depth = ring.depth();
    List<WaitingFrame> waiting = new ArrayList<>();
    for (long p = head; p - tail < 0 && waiting.size() < maxWaiting && p - head < layout.ringCapacity; p++) {
      if (!ring.isPublished(p)) {
        waiting.add(new WaitingFrame(DescriptorRing.positionInEpoch(p), "(claimed, not yet published)", 0, 0, 0, ""));
        continue;
      }
      long d = ring.entryOffset(p);
      FrameKind kind = FrameKind.fromCode(mem.getByte(d + FrameDescriptor.KIND_OFFSET) & 0xFF);
      int mode = mem.getByte(d + FrameDescriptor.MODE_OFFSET);
      String where = mode == FrameDescriptor.MODE_SLOT
          ? "in class " + (mem.getByte(d + FrameDescriptor.SIZE_CLASS_OFFSET) & 0xFF) + " slot " + mem.getInt(d + FrameDescriptor.SLOT_INDEX_OFFSET)
          : mode == FrameDescriptor.MODE_PADDING ? "padding" : "inline";
      waiting.add(new WaitingFrame(DescriptorRing.positionInEpoch(p), kind == null ? "?" : kind.name(),
          mem.getLong(d + FrameDescriptor.CALL_ID_OFFSET), mem.getInt(d + FrameDescriptor.METHOD_ID_OFFSET),
          mem.getInt(d + FrameDescriptor.PAYLOAD_LENGTH_OFFSET), where));
    }
    return new RingState(name, DescriptorRing.positionInEpoch(head), DescriptorRing.positionInEpoch(tail), depth,
        layout.ringCapacity, parked, Collections.unmodifiableList(waiting));
  }

  /** Every class's usage, owners named, for error messages. */
  static String describePool(SharedBuffer mem, HubLayout layout) {
    long now = System.nanoTime();
    List<PeerState> peers = new ArrayList<>();
    for (int i = 0; i < layout.maxPeers; i++) {
      PeerState p = capturePeer(mem, layout, i, now, 0);
      if (p != null) {
        peers.add(p);
      }
    }
    StringBuilder sb = new StringBuilder();
    for (int c = 0; c < layout.classCount(); c++) {
      sb.append("; ").append(captureClass(mem, layout, c, peers));
    }
    return sb.toString();
  }

  static ClassUsage captureClass(SharedBuffer mem, HubLayout layout, int c) {
    return captureClass(mem, layout, c, List.of());
  }

  /** A class's usage, naming the owners that are among {@code peers}. */
  static ClassUsage captureClass(SharedBuffer mem, HubLayout layout, int c, List<PeerState> peers) {
    SizeClass sc = layout.classes.get(c);
    int free = 0;
    int allocated = 0;
    int inFlight = 0;
    Map<String, Integer> owners = new TreeMap<>();
    for (int i = 0; i < sc.slotCount(); i++) {
      long w = mem.getLongVolatile(layout.slotRecordOffset(c, i));
      switch (SlotDescriptor.state(w)) {
        case SlotDescriptor.FREE:
          free++;
          break;
        case SlotDescriptor.ALLOCATED:
          allocated++;
          owners.merge(party(SlotDescriptor.owner(w), peers), 1, Integer::sum);
          break;
        default:
          inFlight++;
          owners.merge(party(SlotDescriptor.owner(w), peers) + "→" + party(SlotDescriptor.receiver(w), peers), 1,
              Integer::sum);
      }
    }
    return new ClassUsage(c, sc.slotSize(), sc.slotCount(), free, allocated, inFlight, Collections.unmodifiableMap(owners));
  }

  private static String party(int id, List<PeerState> peers) {
    String name = SlotDescriptor.partyName(id);
    for (PeerState p : peers) {
      if (p.id == id && !p.name.isEmpty()) {
        return name + " '" + p.name + "'";
      }
    }
    return name;
  }

  static String readName(SharedBuffer mem, long entry) {
    int n = mem.getInt(entry + PeerEntryDescriptor.NAME_LENGTH_OFFSET);
    if (n <= 0 || n > PeerEntryDescriptor.NAME_MAX_BYTES) {
      return "";
    }
    byte[] b = new byte[n];
    mem.getBytes(entry + PeerEntryDescriptor.NAME_OFFSET, b, 0, n);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Free slots across all classes. */
  public int freeSlots() {
    return pool.stream().mapToInt(u -> u.free).sum();
  }

  /** Slots across all classes. */
  public int totalSlots() {
    return pool.stream().mapToInt(u -> u.slotCount).sum();
  }

  /** True if every slot of the pool is free. */
  public boolean poolFullyFree() {
    return freeSlots() == totalSlots();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("hub ").append(path).append(" (").append(bytes(totalSize)).append(") ").append(hubState)
        .append(", host pid ").append(hostPid).append(", heartbeat ").append(hostHeartbeatAgeMillis).append(" ms ago")
        .append('\n');
    if (peers.isEmpty()) {
      sb.append("  no peers\n");
    }
    for (PeerState p : peers) {
      sb.append("  ").append(p).append('\n');
      for (RingState r : List.of(p.toPeer, p.toHost)) {
        sb.append("    ").append(r).append('\n');
        for (WaitingFrame w : r.waiting) {
          sb.append("      ").append(w).append('\n');
        }
      }
    }
    sb.append("  pool: ").append(freeSlots()).append(" of ").append(totalSlots()).append(" slots free\n");
    for (ClassUsage u : pool) {
      sb.append("    ").append(u).append('\n');
    }
    return sb.toString();
  }

  /** Human-readable byte counts: 512 B, 16 KiB, 4 MiB, 1.5 GiB. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (v == Math.floor(v) ? String.valueOf((long) v) : String.format("%.1f", v)) + " " + units[u];
  }
}
