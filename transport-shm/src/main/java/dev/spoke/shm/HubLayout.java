package dev.spoke.shm;

import java.util.List;

/**
 * Where everything lives in a hub file of a given shape, computed once from the configuration. The
 * host computes it to create the file; a peer computes it from the configuration in the header and
 * checks it against the offsets the host stored there, so both sides always agree on every byte.
 *
 * <pre>
 *  header                   4096 bytes                     HubHeaderDescriptor
 *  peer table               maxPeers x 256                 PeerEntryDescriptor
 *  rings                    maxPeers x 2 x (192 + cap x 64) RingDescriptor, FrameDescriptor
 *  class control blocks     classes x 128                  SlotDescriptor
 *  slot records, per class  slots x 16                     SlotDescriptor
 *  slot data, per class     slots x slot size, page-aligned
 * </pre>
 *
 * <p>Immutable.
 */
final class HubLayout {

  static final int PAGE = 4096;
  /** A single mapping is addressed with int offsets. */
  static final long MAX_TOTAL_SIZE = Integer.MAX_VALUE & ~(PAGE - 1L);

  final int maxPeers;
  final int ringCapacity;
  final List<SizeClass> classes;
  final long peerTableOffset;
  final long ringsOffset;
  final long ringLength;
  final long classControlOffset;
  final long[] recordOffsets;
  final long[] dataOffsets;
  final long totalSize;

  HubLayout(int maxPeers, int ringCapacity, List<SizeClass> classes) {
    RingDescriptor.checkCapacity(ringCapacity);
    this.maxPeers = maxPeers;
    this.ringCapacity = ringCapacity;
    this.classes = List.copyOf(classes);
    long offset = HubHeaderDescriptor.LENGTH;
    this.peerTableOffset = offset;
    offset += (long) maxPeers * PeerEntryDescriptor.LENGTH;
    this.ringsOffset = offset;
    this.ringLength = RingDescriptor.length(ringCapacity);
    offset += (long) maxPeers * 2 * ringLength;
    this.classControlOffset = offset;
    offset += (long) classes.size() * SlotDescriptor.CLASS_CONTROL_LENGTH;
    this.recordOffsets = new long[classes.size()];
    for (int c = 0; c < classes.size(); c++) {
      recordOffsets[c] = offset;
      offset += (long) classes.get(c).slotCount() * SlotDescriptor.RECORD_LENGTH;
    }
    this.dataOffsets = new long[classes.size()];
    for (int c = 0; c < classes.size(); c++) {
      offset = align(offset, PAGE);
      dataOffsets[c] = offset;
      offset += classes.get(c).bytes();
    }
    this.totalSize = align(offset, PAGE);
    if (totalSize > MAX_TOTAL_SIZE) {
      throw new IllegalArgumentException("a hub of this configuration needs " + HubSnapshot.bytes(totalSize)
          + "; the limit is " + HubSnapshot.bytes(MAX_TOTAL_SIZE) + " (one mapping)");
    }
  }

  static HubLayout of(HubConfig config) {
    return new HubLayout(config.maxPeers(), config.ringCapacity(), config.sizeClasses());
  }

  int classCount() {
    return classes.size();
  }

  long peerEntryOffset(int peer) {
    return peerTableOffset + (long) peer * PeerEntryDescriptor.LENGTH;
  }

  /** The ring the host writes and the peer reads. */
  long hostToPeerRingOffset(int peer) {
    return ringsOffset + (2L * peer) * ringLength;
  }

  /** The ring the peer writes and the host reads. */
  long peerToHostRingOffset(int peer) {
    return ringsOffset + (2L * peer + 1) * ringLength;
  }

  long classControlOffset(int sizeClass) {
    return classControlOffset + (long) sizeClass * SlotDescriptor.CLASS_CONTROL_LENGTH;
  }

  long slotRecordOffset(int sizeClass, int index) {
    return recordOffsets[sizeClass] + (long) index * SlotDescriptor.RECORD_LENGTH;
  }

  long slotDataOffset(int sizeClass, int index) {
    return dataOffsets[sizeClass] + (long) index * classes.get(sizeClass).slotSize();
  }

  static long align(long value, long alignment) {
    return (value + alignment - 1) & -alignment;
  }
}
