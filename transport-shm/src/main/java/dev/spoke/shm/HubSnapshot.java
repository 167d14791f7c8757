package dev.spoke.shm;

import dev.spoke.internal.Processors;
import dev.spoke.transport.FrameKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A picture of a hub: its host, every peer entry in use with both rings (head, tail, depth, the deepest
 * they got, whether the consumer is parked, and the descriptors waiting), the pool's usage per size
 * class with the owners of the slots in use and the most ever in use, and — where the host publishes
 * them (layout 2.2, {@link InspectionDescriptor}) — the names of the methods and each plugin's calls in
 * flight with their age and deadline. A heartbeat older than twice its interval is flagged stale.
 *
 * <p>Each field is read once with acquire semantics; a hub changes while it is read, so the picture is
 * exact per field, not a frozen instant — the same as any live inspector's. Everything read from the
 * file is checked before use and names are printed with control characters replaced: a process of the
 * same user may have written anything there.
 *
 * <p>Timeout errors embed the parts they waited on; {@code spoke-inspect} prints the whole.
 *
 * <p>Immutable.
 */
public final class HubSnapshot {

  /** How many times a reader tries a table the host is rewriting before it shows what it read. */
  private static final int TABLE_READ_ATTEMPTS = 64;

  /** One descriptor waiting in a ring. */
  public static final class WaitingFrame {
    /** Its position in the ring, within the current epoch. */
    public final long position;
    /** Its frame kind ({@code START}, {@code MESSAGE}, …), or why it cannot be read yet. */
    public final String kind;
    /** The call it belongs to. */
    public final long callId;
    /** The id of its method (in START frames), or 0. */
    public final int methodId;
    /** The full name of its method, when the host published it; else null. */
    public final String method;
    /** Payload bytes. */
    public final int payloadLength;
    /** Where the payload is: inline, or the size class and slot. */
    public final String payload;

    WaitingFrame(long position, String kind, long callId, int methodId, String method, int payloadLength, String payload) {
      this.position = position;
      this.kind = kind;
      this.callId = callId;
      this.methodId = methodId;
      this.method = method;
      this.payloadLength = payloadLength;
      this.payload = payload;
    }

    @Override
    public String toString() {
      return "#" + position + " " + kind + " call " + callId + (methodId != 0 ? " " + methodLabel(method, methodId) : "")
          + " " + payloadLength + " B " + payload;
    }
  }

  /** One ring's cursors. */
  public static final class RingState {
    /** Which ring: {@code host→peer 3} or {@code peer 3→host}. */
    public final String name;
    /** The next position the consumer reads. */
    public final long head;
    /** The next position producers claim. */
    public final long tail;
    /** Descriptors waiting now. */
    public final long depth;
    /** Entries. */
    public final int capacity;
    /** The most descriptors its consumer found waiting at once in this epoch (0 before layout 2.2). */
    public final int depthHighWater;
    /** True if nobody in the consumer's process polls it (producers ring its doorbell). */
    public final boolean consumerParked;
    /** The first descriptors waiting. */
    public final List<WaitingFrame> waiting;

    RingState(String name, long head, long tail, long depth, int capacity, int depthHighWater, boolean consumerParked,
        List<WaitingFrame> waiting) {
      this.name = name;
      this.head = head;
      this.tail = tail;
      this.depth = depth;
      this.capacity = capacity;
      this.depthHighWater = depthHighWater;
      this.consumerParked = consumerParked;
      this.waiting = waiting;
    }

    @Override
    public String toString() {
      return name + ": head " + head + ", tail " + tail + ", depth " + depth + "/" + capacity + " (at most "
          + depthHighWater + ")" + (consumerParked ? ", consumer parked" : ", consumer awake");
    }
  }

  /** One call in flight on a plugin's connection, as the host last published it. */
  public static final class CallState {
    /** The call's id on the connection. */
    public final long callId;
    /** Its method's id. */
    public final int methodId;
    /** Its method's full name, when published; else null. */
    public final String method;
    /** True if the plugin made the call and the host serves it; false if the host called the plugin. */
    public final boolean fromPlugin;
    /** {@code UNARY}, {@code SERVER_STREAMING}, {@code CLIENT_STREAMING} or {@code BIDI_STREAMING}. */
    public final String type;
    /** How long it has run, as of this snapshot. */
    public final long ageMillis;
    /** Time left until its deadline (negative: overdue), or null without one. */
    public final Long deadlineInMillis;

    CallState(long callId, int methodId, String method, boolean fromPlugin, String type, long ageMillis,
        Long deadlineInMillis) {
      this.callId = callId;
      this.methodId = methodId;
      this.method = method;
      this.fromPlugin = fromPlugin;
      this.type = type;
      this.ageMillis = ageMillis;
      this.deadlineInMillis = deadlineInMillis;
    }

    @Override
    public String toString() {
      return (fromPlugin ? "plugin → host " : "host → plugin ") + methodLabel(method, methodId) + ", call " + callId
          + ", " + type.toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ", running " + seconds(ageMillis)
          + (deadlineInMillis == null ? ", no deadline"
              : deadlineInMillis >= 0 ? ", deadline in " + seconds(deadlineInMillis)
              : ", deadline passed " + seconds(-deadlineInMillis) + " ago");
    }
  }

  /** One peer entry in use. */
  public static final class PeerState {
    /** The entry's index: the peer id. */
    public final int id;
    /** {@code RESERVED}, {@code ACTIVE} or {@code DEAD}. */
    public final String state;
    /** Bumped on every reservation of the entry. */
    public final int epoch;
    /** The plugin's pid, once attached. */
    public final long pid;
    /** The plugin's name. */
    public final String name;
    /** Age of its last heartbeat, or -1 if it has written none. */
    public final long heartbeatAgeMillis;
    /** True if its heartbeat is older than twice the hub's heartbeat interval: stopped, hung or starved. */
    public final boolean heartbeatStale;
    /** The ring the host writes to it. */
    public final RingState toPeer;
    /** The ring it writes to the host. */
    public final RingState toHost;
    /** Its calls in flight, oldest first, as the host last published them (the first 126); empty if none. */
    public final List<CallState> calls;
    /** How many calls it had in flight then, or -1 if the host published none for this entry. */
    public final int callsInFlight;
    /** How long ago the host published {@link #calls}, or -1. */
    public final long callsAgeMillis;
    /** The names of the methods it serves, by method id, as the host published them. */
    public final Map<Integer, String> methods;

    PeerState(int id, String state, int epoch, long pid, String name, long heartbeatAgeMillis, boolean heartbeatStale,
        RingState toPeer, RingState toHost, List<CallState> calls, int callsInFlight, long callsAgeMillis,
        Map<Integer, String> methods) {
      this.id = id;
      this.state = state;
      this.epoch = epoch;
      this.pid = pid;
      this.name = name;
      this.heartbeatAgeMillis = heartbeatAgeMillis;
      this.heartbeatStale = heartbeatStale;
      this.toPeer = toPeer;
      this.toHost = toHost;
      this.calls = calls;
      this.callsInFlight = callsInFlight;
      this.callsAgeMillis = callsAgeMillis;
      this.methods = methods;
    }

    @Override
    public String toString() {
      return "peer " + id + " '" + name + "' " + state + " epoch " + epoch + " pid " + pid + " heartbeat "
          + (heartbeatAgeMillis < 0 ? "never" : seconds(heartbeatAgeMillis) + " ago")
          + (heartbeatStale ? "  STALE: no heartbeat for " + seconds(heartbeatAgeMillis)
              + ": the plugin is stopped, hung or starved of CPU" : "");
    }
  }

  /** One size class's usage. */
  public static final class ClassUsage {
    /** The class's index. */
    public final int sizeClass;
    /** Bytes per slot. */
    public final int slotSize;
    /** Slots. */
    public final int slotCount;
    /** Slots free now. */
    public final int free;
    /** Slots an owner is writing into now. */
    public final int allocated;
    /** Slots a published descriptor refers to now. */
    public final int inFlight;
    /** The most slots ever in use at once, as the pool counts them (0 before layout 2.2). */
    public final int inUseHighWater;
    /** Slots in use per owner ("host", "peer 3"), allocated or in flight. */
    public final Map<String, Integer> owners;

    ClassUsage(int sizeClass, int slotSize, int slotCount, int free, int allocated, int inFlight, int inUseHighWater,
        Map<String, Integer> owners) {
      this.sizeClass = sizeClass;
      this.slotSize = slotSize;
      this.slotCount = slotCount;
      this.free = free;
      this.allocated = allocated;
      this.inFlight = inFlight;
      this.inUseHighWater = inUseHighWater;
      this.owners = owners;
    }

    /** Slots not free now. */
    public int inUse() {
      return slotCount - free;
    }

    @Override
    public String toString() {
      return "class " + sizeClass + " (" + bytes(slotSize) + "): " + inUse() + " of " + slotCount + " in use, at most "
          + Math.max(inUseHighWater, inUse()) + " (" + allocated + " allocated, " + inFlight + " in flight"
          + (owners.isEmpty() ? "" : "; " + owners) + ")";
    }
  }

  /** The hub file. */
  public final String path;
  /** The layout version of the file, "2.2". */
  public final String layoutVersion;
  /** The host's pid. */
  public final long hostPid;
  /** {@code INITIALIZING}, {@code READY} or {@code CLOSING}. */
  public final String hubState;
  /** Age of the host's last heartbeat. */
  public final long hostHeartbeatAgeMillis;
  /** True if the host's heartbeat is older than twice its interval. */
  public final boolean hostHeartbeatStale;
  /** How often heartbeats are written, as the host configured it (0 if the hub does not say). */
  public final long heartbeatIntervalMillis;
  /** Bytes of the part of the file every process maps. */
  public final long totalSize;
  /** The peer entries in use. */
  public final List<PeerState> peers;
  /** Per size class. */
  public final List<ClassUsage> pool;
  /** The names of the methods the host serves, by id, as it published them. */
  public final Map<Integer, String> hostMethods;

  private HubSnapshot(String path, String layoutVersion, long hostPid, String hubState, long hostHeartbeatAgeMillis,
      boolean hostHeartbeatStale, long heartbeatIntervalMillis, long totalSize, List<PeerState> peers,
      List<ClassUsage> pool, Map<Integer, String> hostMethods) {
    this.path = path;
    this.layoutVersion = layoutVersion;
    this.hostPid = hostPid;
    this.hubState = hubState;
    this.hostHeartbeatAgeMillis = hostHeartbeatAgeMillis;
    this.hostHeartbeatStale = hostHeartbeatStale;
    this.heartbeatIntervalMillis = heartbeatIntervalMillis;
    this.totalSize = totalSize;
    this.peers = peers;
    this.pool = pool;
    this.hostMethods = hostMethods;
  }

  /** Reads the hub without its inspection region; {@code maxWaiting} descriptors are listed per ring. */
  static HubSnapshot capture(String path, SharedBuffer mem, HubLayout layout, int maxWaiting) {
    return capture(path, mem, layout, maxWaiting, null, mem.getInt(HubHeaderDescriptor.LAYOUT_VERSION_OFFSET));
  }

  /** Reads the hub, and its inspection region if {@code inspection} is not null. */
  static HubSnapshot capture(String path, SharedBuffer mem, HubLayout layout, int maxWaiting, SharedBuffer inspection,
      int layoutVersion) {
    long now = System.nanoTime();
    long hostBeat = mem.getLongAcquire(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET);
    long interval = Integer.toUnsignedLong(mem.getInt(HubHeaderDescriptor.HEARTBEAT_INTERVAL_MILLIS_OFFSET));
    Map<Integer, String> hostNames = inspection == null ? Map.of()
        : readNames(inspection, InspectionDescriptor.hostNameTable(), -1);
    List<PeerState> peers = new ArrayList<>();
    for (int i = 0; i < layout.maxPeers; i++) {
      PeerState p = capturePeer(mem, layout, i, now, maxWaiting, inspection, hostNames, interval);
      if (p != null) {
        peers.add(p);
      }
    }
    List<ClassUsage> pool = new ArrayList<>();
    for (int c = 0; c < layout.classCount(); c++) {
      pool.add(captureClass(mem, layout, c, peers));
    }
    long hostAge = (now - hostBeat) / 1_000_000;
    return new HubSnapshot(path,
        HubHeaderDescriptor.versionName(layoutVersion),
        mem.getLong(HubHeaderDescriptor.HOST_PID_OFFSET),
        HubHeaderDescriptor.stateName(mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE)),
        hostAge,
        stale(hostAge, interval),
        interval,
        layout.totalSize,
        Collections.unmodifiableList(peers),
        Collections.unmodifiableList(pool),
        hostNames);
  }

  /** A heartbeat is stale once it is older than twice the interval it is written at. */
  private static boolean stale(long ageMillis, long intervalMillis) {
    return intervalMillis > 0 && ageMillis > 2 * intervalMillis;
  }

  static PeerState capturePeer(SharedBuffer mem, HubLayout layout, int peer, long now, int maxWaiting) {
    return capturePeer(mem, layout, peer, now, maxWaiting, null, Map.of(),
        Integer.toUnsignedLong(mem.getInt(HubHeaderDescriptor.HEARTBEAT_INTERVAL_MILLIS_OFFSET)));
  }

  private static PeerState capturePeer(SharedBuffer mem, HubLayout layout, int peer, long now, int maxWaiting,
      SharedBuffer inspection, Map<Integer, String> hostNames, long intervalMillis) {
    long e = layout.peerEntryOffset(peer);
    int state = mem.getIntAcquire(e + PeerEntryDescriptor.STATE_OFFSET);
    if (state == PeerEntryDescriptor.FREE) {
      return null;
    }
    int epoch = mem.getIntAcquire(e + PeerEntryDescriptor.EPOCH_OFFSET);
    Map<Integer, String> names = inspection == null ? Map.of()
        : readNames(inspection, InspectionDescriptor.peerNameTable(peer), epoch);
    CallTable calls = inspection == null ? null : readCalls(inspection, layout.maxPeers, peer, epoch, now, names, hostNames);
    long beat = mem.getLongAcquire(e + PeerEntryDescriptor.HEARTBEAT_OFFSET);
    long age = beat == 0 ? -1 : (now - beat) / 1_000_000;
    return new PeerState(peer,
        PeerEntryDescriptor.stateName(state),
        epoch,
        mem.getLongAcquire(e + PeerEntryDescriptor.PID_OFFSET),
        readName(mem, e),
        age,
        state == PeerEntryDescriptor.ACTIVE && stale(age, intervalMillis),
        // Requests on the host's ring are for the plugin's methods; on the plugin's, for the host's.
        captureRing(mem, layout, layout.hostToPeerRingOffset(peer), "host→peer " + peer, maxWaiting, names, hostNames),
        captureRing(mem, layout, layout.peerToHostRingOffset(peer), "peer " + peer + "→host", maxWaiting, hostNames, names),
        calls == null ? List.of() : calls.calls,
        calls == null ? -1 : calls.total,
        calls == null ? -1 : calls.ageMillis,
        names);
  }

  private static RingState captureRing(SharedBuffer mem, HubLayout layout, long base, String name, int maxWaiting,
      Map<Integer, String> names, Map<Integer, String> otherNames) {
    DescriptorRing ring = new DescriptorRing(mem, base, layout.ringCapacity, name);
    boolean parked = ring.isConsumerParked();
    long head = ring.headVolatile();
    long tail = ring.tailVolatile();
    long depth = ring.depth();
    List<WaitingFrame> waiting = new ArrayList<>();
    for (long p = head; p - tail < 0 && waiting.size() < maxWaiting && p - head < layout.ringCapacity; p++) {
      if (!ring.isPublished(p)) {
        waiting.add(new WaitingFrame(DescriptorRing.positionInEpoch(p), "(claimed, not yet published)", 0, 0, null, 0, ""));
        continue;
      }
      long d = ring.entryOffset(p);
      FrameKind kind = FrameKind.fromCode(mem.getByte(d + FrameDescriptor.KIND_OFFSET) & 0xFF);
      int mode = mem.getByte(d + FrameDescriptor.MODE_OFFSET);
      String where = mode == FrameDescriptor.MODE_SLOT
          ? "in class " + (mem.getByte(d + FrameDescriptor.SIZE_CLASS_OFFSET) & 0xFF) + " slot " + mem.getInt(d + FrameDescriptor.SLOT_INDEX_OFFSET)
          : mode == FrameDescriptor.MODE_PADDING ? "padding" : "inline";
      int methodId = mem.getInt(d + FrameDescriptor.METHOD_ID_OFFSET);
      String method = names.get(methodId);
      waiting.add(new WaitingFrame(DescriptorRing.positionInEpoch(p), kind == null ? "?" : kind.name(),
          mem.getLong(d + FrameDescriptor.CALL_ID_OFFSET), methodId, method != null ? method : otherNames.get(methodId),
          mem.getInt(d + FrameDescriptor.PAYLOAD_LENGTH_OFFSET), where));
    }
    int mark = ring.depthHighWater();
    return new RingState(name, DescriptorRing.positionInEpoch(head), DescriptorRing.positionInEpoch(tail), depth,
        layout.ringCapacity, mark < 0 || mark > layout.ringCapacity ? 0 : mark, parked, Collections.unmodifiableList(waiting));
  }

  // ---------------------------------------------------------------------------------------------
  // The inspection region: checked field by field, read under the tables' sequence words

  /** The calls of one call table. */
  private static final class CallTable {
    final List<CallState> calls;
    final int total;
    final long ageMillis;

    CallTable(List<CallState> calls, int total, long ageMillis) {
      this.calls = calls;
      this.total = total;
      this.ageMillis = ageMillis;
    }
  }

  /** A name table's entries, or an empty map if it is not the one of {@code epoch} (-1: any). */
  static Map<Integer, String> readNames(SharedBuffer region, long table, int epoch) {
    for (int attempt = 0; attempt < TABLE_READ_ATTEMPTS; attempt++) {
      long seq = region.getLongAcquire(table + InspectionDescriptor.SEQUENCE_OFFSET);
      if ((seq & 1) != 0) {
        Processors.waitForOther();
        continue;
      }
      Map<Integer, String> names = new HashMap<>();
      boolean ours = epoch < 0 || region.getInt(table + InspectionDescriptor.EPOCH_OFFSET) == epoch;
      if (ours && seq != 0) {
        int count = region.getInt(table + InspectionDescriptor.COUNT_OFFSET);
        int bytes = region.getInt(table + InspectionDescriptor.NAME_BYTES_OFFSET);
        int limit = InspectionDescriptor.NAME_ENTRIES_OFFSET + Math.max(0,
            Math.min(bytes, InspectionDescriptor.NAME_TABLE_LENGTH - InspectionDescriptor.NAME_ENTRIES_OFFSET));
        int at = InspectionDescriptor.NAME_ENTRIES_OFFSET;
        for (int i = 0; i < count && at + InspectionDescriptor.NAME_ENTRY_HEADER <= limit; i++) {
          int id = region.getInt(table + at);
          int length = region.getInt(table + at + 4);
          if (length < 0 || length > InspectionDescriptor.NAME_MAX_BYTES
              || at + InspectionDescriptor.nameEntryLength(length) > limit) {
            break;
          }
          byte[] b = new byte[length];
          region.getBytes(table + at + InspectionDescriptor.NAME_ENTRY_HEADER, b, 0, length);
          names.put(id, printable(new String(b, StandardCharsets.UTF_8)));
          at += InspectionDescriptor.nameEntryLength(length);
        }
      }
      SharedBuffer.fullFence();
      if (region.getLongVolatile(table + InspectionDescriptor.SEQUENCE_OFFSET) == seq) {
        return Collections.unmodifiableMap(names);
      }
    }
    return Map.of(); // rewritten all the while: names are a nicety, the ids still show
  }

  private static CallTable readCalls(SharedBuffer region, int maxPeers, int peer, int epoch, long now,
      Map<Integer, String> peerNames, Map<Integer, String> hostNames) {
    long table = InspectionDescriptor.callTable(maxPeers, peer);
    for (int attempt = 0; attempt < TABLE_READ_ATTEMPTS; attempt++) {
      long seq = region.getLongAcquire(table + InspectionDescriptor.SEQUENCE_OFFSET);
      if ((seq & 1) != 0) {
        Processors.waitForOther();
        continue;
      }
      CallTable result = null;
      if (seq != 0 && region.getInt(table + InspectionDescriptor.EPOCH_OFFSET) == epoch) {
        int count = Math.max(0, Math.min(region.getInt(table + InspectionDescriptor.COUNT_OFFSET),
            InspectionDescriptor.CALL_CAPACITY));
        int total = Math.max(count, region.getInt(table + InspectionDescriptor.CALLS_IN_FLIGHT_OFFSET));
        long writtenAt = region.getLong(table + InspectionDescriptor.WRITTEN_AT_OFFSET);
        List<CallState> calls = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          long e = table + InspectionDescriptor.CALL_ENTRIES_OFFSET + (long) i * InspectionDescriptor.CALL_ENTRY_LENGTH;
          int flags = region.getInt(e + InspectionDescriptor.CALL_FLAGS_OFFSET);
          int methodId = region.getInt(e + InspectionDescriptor.CALL_METHOD_ID_OFFSET);
          boolean fromPlugin = (flags & InspectionDescriptor.FLAG_FROM_PLUGIN) != 0;
          String method = (fromPlugin ? hostNames : peerNames).get(methodId);
          long deadline = region.getLong(e + InspectionDescriptor.CALL_DEADLINE_OFFSET);
          calls.add(new CallState(region.getLong(e + InspectionDescriptor.CALL_ID_OFFSET), methodId, method, fromPlugin,
              InspectionDescriptor.TYPES[(flags >>> InspectionDescriptor.TYPE_SHIFT) & InspectionDescriptor.TYPE_MASK],
              Math.max(0, (now - region.getLong(e + InspectionDescriptor.CALL_STARTED_OFFSET)) / 1_000_000),
              (flags & InspectionDescriptor.FLAG_HAS_DEADLINE) != 0 ? (deadline - now) / 1_000_000 : null));
        }
        result = new CallTable(Collections.unmodifiableList(calls), total, Math.max(0, (now - writtenAt) / 1_000_000));
      }
      SharedBuffer.fullFence();
      if (region.getLongVolatile(table + InspectionDescriptor.SEQUENCE_OFFSET) == seq) {
        return result;
      }
    }
    return null;
  }

  /** The text with control characters (a terminal's escape sequences among them) shown as '?'. */
  static String printable(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return out.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // The pool

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
    int mark = mem.getIntVolatile(layout.classControlOffset(c) + SlotDescriptor.IN_USE_HIGH_WATER_OFFSET);
    return new ClassUsage(c, sc.slotSize(), sc.slotCount(), free, allocated, inFlight,
        mark < 0 || mark > sc.slotCount() ? 0 : mark, Collections.unmodifiableMap(owners));
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
    return printable(new String(b, StandardCharsets.UTF_8));
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

  /** The method's name, or its id in hex when its name is not known. */
  static String methodLabel(String method, int methodId) {
    return method != null ? method : "method 0x" + Integer.toHexString(methodId);
  }

  /** 0.4 s, 12.0 s, 3 min. */
  static String seconds(long millis) {
    if (millis >= 180_000) {
      return millis / 60_000 + " min";
    }
    return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }

  /** The picture as {@code spoke-inspect} prints it. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append("hub ").append(path).append(" (").append(bytes(totalSize)).append(", layout ").append(layoutVersion)
        .append(") ").append(hubState).append(", host pid ").append(hostPid).append(", heartbeat ")
        .append(seconds(hostHeartbeatAgeMillis)).append(" ago");
    if (hostHeartbeatStale) {
      sb.append("  STALE: the host wrote no heartbeat for ").append(seconds(hostHeartbeatAgeMillis))
          .append(": it is stopped, hung or starved of CPU");
    }
    sb.append('\n');
    if (peers.isEmpty()) {
      sb.append("  no peers\n");
    }
    for (PeerState p : peers) {
      sb.append("  ").append(p).append('\n');
      if (p.callsInFlight > 0) {
        sb.append("    ").append(p.callsInFlight).append(p.callsInFlight == 1 ? " call" : " calls")
            .append(" in flight (as of ").append(seconds(p.callsAgeMillis)).append(" ago)")
            .append(p.calls.size() < p.callsInFlight ? ", the oldest " + p.calls.size() + ":" : ":").append('\n');
        for (CallState c : p.calls) {
          sb.append("      ").append(c).append('\n');
        }
      } else if (p.callsInFlight == 0) {
        sb.append("    no calls in flight (as of ").append(seconds(p.callsAgeMillis)).append(" ago)\n");
      }
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

  /** The picture as one JSON object, for scripts (field names as in this class). */
  public String toJson() {
    Json j = new Json();
    j.open('{');
    j.field("path").string(path);
    j.field("layoutVersion").string(layoutVersion);
    j.field("state").string(hubState);
    j.field("hostPid").number(hostPid);
    j.field("hostHeartbeatAgeMillis").number(hostHeartbeatAgeMillis);
    j.field("hostHeartbeatStale").bool(hostHeartbeatStale);
    j.field("heartbeatIntervalMillis").number(heartbeatIntervalMillis);
    j.field("totalSize").number(totalSize);
    j.field("peers").open('[');
    for (PeerState p : peers) {
      j.open('{');
      j.field("id").number(p.id);
      j.field("name").string(p.name);
      j.field("state").string(p.state);
      j.field("epoch").number(p.epoch);
      j.field("pid").number(p.pid);
      j.field("heartbeatAgeMillis").number(p.heartbeatAgeMillis);
      j.field("heartbeatStale").bool(p.heartbeatStale);
      j.field("callsInFlight").number(p.callsInFlight);
      j.field("callsAgeMillis").number(p.callsAgeMillis);
      j.field("calls").open('[');
      for (CallState c : p.calls) {
        j.open('{');
        j.field("callId").number(c.callId);
        j.field("methodId").number(c.methodId);
        j.field("method").string(c.method);
        j.field("direction").string(c.fromPlugin ? "plugin-to-host" : "host-to-plugin");
        j.field("type").string(c.type);
        j.field("ageMillis").number(c.ageMillis);
        j.field("deadlineInMillis");
        if (c.deadlineInMillis == null) {
          j.raw("null");
        } else {
          j.number(c.deadlineInMillis);
        }
        j.close('}');
      }
      j.close(']');
      j.field("rings").open('[');
      for (RingState r : List.of(p.toPeer, p.toHost)) {
        j.open('{');
        j.field("name").string(r.name);
        j.field("head").number(r.head);
        j.field("tail").number(r.tail);
        j.field("depth").number(r.depth);
        j.field("capacity").number(r.capacity);
        j.field("depthHighWater").number(r.depthHighWater);
        j.field("consumerParked").bool(r.consumerParked);
        j.field("waiting").open('[');
        for (WaitingFrame w : r.waiting) {
          j.open('{');
          j.field("position").number(w.position);
          j.field("kind").string(w.kind);
          j.field("callId").number(w.callId);
          j.field("methodId").number(w.methodId);
          j.field("method").string(w.method);
          j.field("payloadLength").number(w.payloadLength);
          j.field("payload").string(w.payload);
          j.close('}');
        }
        j.close(']');
        j.close('}');
      }
      j.close(']');
      j.close('}');
    }
    j.close(']');
    j.field("pool").open('[');
    for (ClassUsage u : pool) {
      j.open('{');
      j.field("sizeClass").number(u.sizeClass);
      j.field("slotSize").number(u.slotSize);
      j.field("slotCount").number(u.slotCount);
      j.field("free").number(u.free);
      j.field("allocated").number(u.allocated);
      j.field("inFlight").number(u.inFlight);
      j.field("inUseHighWater").number(Math.max(u.inUseHighWater, u.inUse()));
      j.field("owners").open('{');
      for (Map.Entry<String, Integer> o : u.owners.entrySet()) {
        j.field(o.getKey()).number(o.getValue());
      }
      j.close('}');
      j.close('}');
    }
    j.close(']');
    j.close('}');
    return j.toString();
  }

  /** A small JSON writer: enough for the snapshot, nothing to depend on. */
  private static final class Json {
    private final StringBuilder out = new StringBuilder();
    /** Whether the current container has had an element, per depth. */
    private final java.util.ArrayDeque<boolean[]> first = new java.util.ArrayDeque<>();
    private boolean afterField;

    Json open(char bracket) {
      separate();
      out.append(bracket);
      first.push(new boolean[] {true});
      return this;
    }

    Json close(char bracket) {
      first.pop();
      out.append(bracket);
      return this;
    }

    Json field(String name) {
      separate();
      quote(name);
      out.append(':');
      afterField = true;
      return this;
    }

    Json string(String value) {
      separate();
      if (value == null) {
        out.append("null");
      } else {
        quote(value);
      }
      return this;
    }

    Json number(long value) {
      separate();
      out.append(value);
      return this;
    }

    Json bool(boolean value) {
      separate();
      out.append(value);
      return this;
    }

    Json raw(String text) {
      separate();
      out.append(text);
      return this;
    }

    private void separate() {
      if (afterField) {
        afterField = false;
        return;
      }
      boolean[] f = first.peek();
      if (f != null) {
        if (!f[0]) {
          out.append(',');
        }
        f[0] = false;
      }
    }

    private void quote(String s) {
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"': out.append("\\\""); break;
          case '\\': out.append("\\\\"); break;
          case '\n': out.append("\\n"); break;
          case '\r': out.append("\\r"); break;
          case '\t': out.append("\\t"); break;
          default:
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '\u2028' || c == '\u2029') {
              out.append(String.format("\\u%04x", (int) c));
            } else {
              out.append(c);
            }
        }
      }
      out.append('"');
    }

    @Override
    public String toString() {
      return out.toString();
    }
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
