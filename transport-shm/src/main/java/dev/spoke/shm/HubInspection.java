package dev.spoke.shm;

import static dev.spoke.shm.InspectionDescriptor.CALLS_IN_FLIGHT_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_CAPACITY;
import static dev.spoke.shm.InspectionDescriptor.CALL_DEADLINE_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_ENTRIES_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_ENTRY_LENGTH;
import static dev.spoke.shm.InspectionDescriptor.CALL_FLAGS_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_ID_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_METHOD_ID_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.CALL_STARTED_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.COUNT_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.EPOCH_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.NAMES_LEFT_OUT_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.NAME_BYTES_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.NAME_ENTRIES_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.NAME_ENTRY_HEADER;
import static dev.spoke.shm.InspectionDescriptor.NAME_MAX_BYTES;
import static dev.spoke.shm.InspectionDescriptor.NAME_TABLE_LENGTH;
import static dev.spoke.shm.InspectionDescriptor.SEQUENCE_OFFSET;
import static dev.spoke.shm.InspectionDescriptor.WRITTEN_AT_OFFSET;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The host's writer of the hub's inspection region ({@link InspectionDescriptor}): the names of the
 * methods whose ids descriptors carry, and each plugin's calls in flight, for {@code spoke-inspect}.
 * Transport-level: it takes method ids and names as given (the call layer computes both).
 *
 * <p>Once the hub is lost (see {@link HubHost}) nothing is written any more; a memory fault met while
 * writing, once the hub confirms its loss, ends that write quietly instead of reaching the caller.
 *
 * <p>Thread-safe: one writer at a time, which the tables' sequence words need.
 */
public final class HubInspection {

  /** One call in flight, as published. Immutable. */
  public static final class Call {
    final long callId;
    final int methodId;
    final int flags;
    final long startedNanos;
    final long deadlineNanos;

    /**
     * @param fromPlugin true if the plugin made the call and the host serves it
     * @param type 0 unary, 1 server streaming, 2 client streaming, 3 bidirectional streaming
     * @param deadlineNanos the deadline as a {@link System#nanoTime()} value, if {@code hasDeadline}
     */
    public Call(long callId, int methodId, boolean fromPlugin, int type, long startedNanos, boolean hasDeadline,
        long deadlineNanos) {
      this.callId = callId;
      this.methodId = methodId;
      this.flags = (fromPlugin ? InspectionDescriptor.FLAG_FROM_PLUGIN : 0)
          | ((type & InspectionDescriptor.TYPE_MASK) << InspectionDescriptor.TYPE_SHIFT)
          | (hasDeadline ? InspectionDescriptor.FLAG_HAS_DEADLINE : 0);
      this.startedNanos = startedNanos;
      this.deadlineNanos = hasDeadline ? deadlineNanos : 0;
    }
  }

  private final SharedBuffer region;
  private final int maxPeers;
  /** True once the hub is lost: its memory is not touched again. */
  private final BooleanSupplier lost;
  /** True if a throwable is a memory fault that lost the hub (asks the hub to check its file). */
  private final Predicate<Throwable> hubFault;

  HubInspection(SharedBuffer region, int maxPeers, BooleanSupplier lost, Predicate<Throwable> hubFault) {
    this.region = region;
    this.maxPeers = maxPeers;
    this.lost = lost;
    this.hubFault = hubFault;
  }

  /** Writes the names of the methods the host serves every plugin (method id → full name). */
  public synchronized void publishHostNames(Map<Integer, String> names) {
    write(() -> writeNames(InspectionDescriptor.hostNameTable(), 0, names));
  }

  /** Writes the names of the methods a plugin serves, for the peer entry {@code reservation} holds. */
  public synchronized void publishPeerNames(HubHost.Reservation reservation, Map<Integer, String> names) {
    checkPeer(reservation.peerId());
    write(() -> writeNames(InspectionDescriptor.peerNameTable(reservation.peerId()), reservation.epoch(), names));
  }

  /**
   * Writes a plugin's calls in flight, oldest first; the table keeps the first {@value
   * InspectionDescriptor#CALL_CAPACITY} and the count of all.
   */
  public synchronized void publishCalls(HubHost.Reservation reservation, List<Call> calls) {
    checkPeer(reservation.peerId());
    write(() -> writeCalls(reservation, calls));
  }

  /** Runs {@code w} unless the hub is lost; a fault that loses the hub ends it (the hub says so, once). */
  private void write(Runnable w) {
    if (lost.getAsBoolean()) {
      return;
    }
    try {
      w.run();
    } catch (InternalError e) {
      if (!hubFault.test(e)) {
        throw e;
      }
    }
  }

  private void writeCalls(HubHost.Reservation reservation, List<Call> calls) {
    long t = InspectionDescriptor.callTable(maxPeers, reservation.peerId());
    int n = Math.min(calls.size(), CALL_CAPACITY);
    long seq = beginWrite(t);
    region.putInt(t + EPOCH_OFFSET, reservation.epoch());
    region.putInt(t + COUNT_OFFSET, n);
    region.putInt(t + CALLS_IN_FLIGHT_OFFSET, calls.size());
    region.putLong(t + WRITTEN_AT_OFFSET, System.nanoTime());
    for (int i = 0; i < n; i++) {
      Call c = calls.get(i);
      long e = t + CALL_ENTRIES_OFFSET + (long) i * CALL_ENTRY_LENGTH;
      region.putLong(e + CALL_ID_OFFSET, c.callId);
      region.putInt(e + CALL_METHOD_ID_OFFSET, c.methodId);
      region.putInt(e + CALL_FLAGS_OFFSET, c.flags);
      region.putLong(e + CALL_STARTED_OFFSET, c.startedNanos);
      region.putLong(e + CALL_DEADLINE_OFFSET, c.deadlineNanos);
    }
    endWrite(t, seq);
  }

  private void checkPeer(int peer) {
    if (peer < 0 || peer >= maxPeers) {
      throw new IllegalArgumentException("peer " + peer + " outside [0, " + maxPeers + ")");
    }
  }

  private void writeNames(long table, int epoch, Map<Integer, String> names) {
    long seq = beginWrite(table);
    int at = NAME_ENTRIES_OFFSET;
    int count = 0;
    int leftOut = 0;
    for (Map.Entry<Integer, String> e : names.entrySet()) {
      byte[] name = e.getValue().getBytes(StandardCharsets.UTF_8);
      int length = InspectionDescriptor.nameEntryLength(name.length);
      if (name.length > NAME_MAX_BYTES || at + length > NAME_TABLE_LENGTH) {
        leftOut++;
        continue;
      }
      region.putInt(table + at, e.getKey());
      region.putInt(table + at + 4, name.length);
      region.putBytes(table + at + NAME_ENTRY_HEADER, name, 0, name.length);
      at += length;
      count++;
    }
    region.putInt(table + EPOCH_OFFSET, epoch);
    region.putInt(table + COUNT_OFFSET, count);
    region.putInt(table + NAME_BYTES_OFFSET, at - NAME_ENTRIES_OFFSET);
    region.putInt(table + NAMES_LEFT_OUT_OFFSET, leftOut);
    endWrite(table, seq);
  }

  /** Marks a table as being written (odd sequence); returns the sequence to end with. */
  private long beginWrite(long table) {
    long seq = region.getLong(table + SEQUENCE_OFFSET) | 1; // odd from here on, whatever was there
    region.putLongVolatile(table + SEQUENCE_OFFSET, seq);
    SharedBuffer.fullFence(); // NOTE: the odd sequence is visible before any field written after it
    return seq;
  }

  private void endWrite(long table, long seq) {
    // NOTE: release: every field above is visible to a reader that sees the even sequence with acquire.
    region.putLongRelease(table + SEQUENCE_OFFSET, seq + 1);
  }
}
