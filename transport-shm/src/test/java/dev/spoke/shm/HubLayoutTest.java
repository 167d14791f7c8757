package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Pins every offset, alignment and size of the hub's structures, so the byte tables cannot drift. */
class HubLayoutTest {

  @Test
  void headerFieldsMatchTheTable() {
    assertEquals(0, HubHeaderDescriptor.MAGIC_OFFSET);
    assertEquals(8, HubHeaderDescriptor.LAYOUT_VERSION_OFFSET);
    assertEquals(12, HubHeaderDescriptor.HUB_STATE);
    assertEquals(16, HubHeaderDescriptor.TOTAL_SIZE_OFFSET);
    assertEquals(24, HubHeaderDescriptor.HOST_PID_OFFSET);
    assertEquals(32, HubHeaderDescriptor.HOST_START_MILLIS_OFFSET);
    assertEquals(40, HubHeaderDescriptor.MAX_PEERS_OFFSET);
    assertEquals(44, HubHeaderDescriptor.RING_CAPACITY_OFFSET);
    assertEquals(48, HubHeaderDescriptor.SIZE_CLASS_COUNT_OFFSET);
    assertEquals(56, HubHeaderDescriptor.PEER_TABLE_OFFSET_OFFSET);
    assertEquals(64, HubHeaderDescriptor.RINGS_OFFSET_OFFSET);
    assertEquals(72, HubHeaderDescriptor.CLASS_CONTROL_OFFSET_OFFSET);
    assertEquals(80, HubHeaderDescriptor.HEARTBEAT_INTERVAL_MILLIS_OFFSET);
    assertEquals(84, HubHeaderDescriptor.HEARTBEAT_TIMEOUT_MILLIS_OFFSET);
    assertEquals(88, HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET);
    assertEquals(96, HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET);
    assertEquals("2.2", HubHeaderDescriptor.versionName(HubHeaderDescriptor.LAYOUT_VERSION));
    assertTrue(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET + 8 <= HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET);
    // Hot fields on cache lines of their own.
    assertEquals(0, HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET % 64);
    assertEquals(0, HubHeaderDescriptor.HOST_DOORBELL_OFFSET % 64);
    assertTrue(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET / 64 != HubHeaderDescriptor.HOST_DOORBELL_OFFSET / 64);
    int tableEnd = HubHeaderDescriptor.sizeClassEntryOffset(HubHeaderDescriptor.MAX_SIZE_CLASSES);
    assertEquals(256 + 16 * 32, tableEnd);
    assertTrue(tableEnd <= HubHeaderDescriptor.LENGTH);
    assertEquals(0, HubHeaderDescriptor.SIZE_CLASS_TABLE_OFFSET % 8);
    assertEquals(4096, HubHeaderDescriptor.LENGTH);
    assertEquals(2 << 16 | 2, HubHeaderDescriptor.LAYOUT_VERSION, "layout 2.2");
  }

  @Test
  void theHeaderNamesEveryByteAndSetsTheLiveWordsApart() {
    assertEquals("magic", HubHeaderDescriptor.fieldName(7));
    assertEquals("hub state", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.HUB_STATE));
    assertEquals("host pid", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.HOST_PID_OFFSET + 4));
    assertEquals("size class count", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.SIZE_CLASS_COUNT_OFFSET));
    assertEquals("reserved", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.SIZE_CLASS_COUNT_OFFSET + 4));
    assertEquals("heartbeat timeout", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.HEARTBEAT_TIMEOUT_MILLIS_OFFSET));
    assertEquals("inspection region offset", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET));
    assertEquals("inspection region length", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET + 7));
    assertEquals("reserved", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET + 8));
    assertEquals("size class 2 data offset", HubHeaderDescriptor.fieldName(
        HubHeaderDescriptor.sizeClassEntryOffset(2) + HubHeaderDescriptor.CLASS_DATA_OFFSET + 4));
    assertEquals("size class 15 reserved", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.sizeClassEntryOffset(16) - 1));
    assertEquals("reserved", HubHeaderDescriptor.fieldName(HubHeaderDescriptor.LENGTH - 1));
    int live = 0;
    for (int b = 0; b < HubHeaderDescriptor.LENGTH; b++) {
      if (HubHeaderDescriptor.isLiveWord(b)) {
        live++;
        String f = HubHeaderDescriptor.fieldName(b);
        assertTrue(f.equals("host heartbeat") || f.equals("host doorbell"), b + ": " + f);
      }
    }
    assertEquals(12, live, "the host heartbeat (8 bytes) and the host doorbell (4)");
  }

  @Test
  void peerEntryFieldsMatchTheTable() {
    assertEquals(0, PeerEntryDescriptor.STATE_OFFSET);
    assertEquals(4, PeerEntryDescriptor.EPOCH_OFFSET);
    assertEquals(8, PeerEntryDescriptor.PID_OFFSET);
    assertEquals(16, PeerEntryDescriptor.TOKEN_HASH_OFFSET);
    assertEquals(24, PeerEntryDescriptor.ATTACHED_MILLIS_OFFSET);
    assertEquals(32, PeerEntryDescriptor.LEAVE_REASON_OFFSET);
    assertEquals(36, PeerEntryDescriptor.LEAVE_DETAIL_OFFSET);
    assertTrue(PeerEntryDescriptor.LEAVE_DETAIL_OFFSET + 4 <= PeerEntryDescriptor.NAME_LENGTH_OFFSET);
    assertEquals(64, PeerEntryDescriptor.NAME_LENGTH_OFFSET);
    assertEquals(PeerEntryDescriptor.NAME_OFFSET + PeerEntryDescriptor.NAME_MAX_BYTES, PeerEntryDescriptor.HEARTBEAT_OFFSET);
    assertEquals(128, PeerEntryDescriptor.HEARTBEAT_OFFSET);
    assertEquals(192, PeerEntryDescriptor.DOORBELL_OFFSET);
    assertEquals(256, PeerEntryDescriptor.LENGTH);
  }

  @Test
  void frameDescriptorFieldsAreAlignedAndDoNotOverlap() {
    assertEquals(64, FrameDescriptor.LENGTH);
    int[][] fields = {
      {FrameDescriptor.SEQUENCE_OFFSET, 8},
      {FrameDescriptor.CALL_ID_OFFSET, 8},
      {FrameDescriptor.TIMEOUT_OFFSET, 8},
      {FrameDescriptor.METHOD_ID_OFFSET, 4},
      {FrameDescriptor.STATUS_OFFSET, 4},
      {FrameDescriptor.CREDITS_OFFSET, 4},
      {FrameDescriptor.KIND_OFFSET, 1},
      {FrameDescriptor.FLAGS_OFFSET, 1},
      {FrameDescriptor.MODE_OFFSET, 1},
      {FrameDescriptor.SIZE_CLASS_OFFSET, 1},
      {FrameDescriptor.PAYLOAD_LENGTH_OFFSET, 4},
      {FrameDescriptor.SLOT_INDEX_OFFSET, 4},
      {FrameDescriptor.SLOT_GENERATION_OFFSET, 4},
      {FrameDescriptor.SLOT_OFFSET_OFFSET, 4},
    };
    boolean[] used = new boolean[64];
    for (int[] f : fields) {
      assertEquals(0, f[0] % f[1], "field at " + f[0] + " misaligned");
      for (int b = f[0]; b < f[0] + f[1]; b++) {
        assertTrue(!used[b], "byte " + b + " used twice");
        used[b] = true;
      }
    }
    // The inline payload overlays the slot reference and runs to the end of the descriptor.
    assertEquals(FrameDescriptor.SLOT_INDEX_OFFSET, FrameDescriptor.INLINE_OFFSET);
    assertEquals(20, FrameDescriptor.INLINE_CAPACITY);
    assertEquals(64, FrameDescriptor.INLINE_OFFSET + FrameDescriptor.INLINE_CAPACITY);
  }

  @Test
  void ringAndSlotRecordsMatchTheTables() {
    assertEquals(0, RingDescriptor.TAIL_OFFSET);
    assertEquals(64, RingDescriptor.HEAD_OFFSET);
    assertEquals(128, RingDescriptor.CONSUMER_PARKED_OFFSET);
    assertEquals(192, RingDescriptor.ENTRIES_OFFSET);
    assertEquals(192 + 256 * 64, RingDescriptor.length(256));
    assertThrows(IllegalArgumentException.class, () -> RingDescriptor.checkCapacity(100));
    assertEquals(132, RingDescriptor.DEPTH_HIGH_WATER_OFFSET);
    assertTrue(RingDescriptor.DEPTH_HIGH_WATER_OFFSET / 64 == RingDescriptor.CONSUMER_PARKED_OFFSET / 64,
        "written by the consumer, on the line it writes anyway");
    assertEquals(16, SlotDescriptor.RECORD_LENGTH);
    assertEquals(0, SlotDescriptor.STATE_OFFSET);
    assertEquals(128, SlotDescriptor.CLASS_CONTROL_LENGTH);
    assertEquals(0, SlotDescriptor.FREE_HEAD_OFFSET);
    assertEquals(8, SlotDescriptor.IN_USE_OFFSET);
    assertEquals(12, SlotDescriptor.IN_USE_HIGH_WATER_OFFSET);
    assertTrue(SlotDescriptor.IN_USE_HIGH_WATER_OFFSET + 4 <= 64, "on the head's cache line");
  }

  @Test
  void inspectionRegionMatchesItsTable() {
    assertEquals(0, InspectionDescriptor.REGION_VERSION_OFFSET);
    assertEquals(4, InspectionDescriptor.REGION_MAX_PEERS_OFFSET);
    assertEquals(4096, InspectionDescriptor.REGION_HEADER_LENGTH);
    assertEquals(0, InspectionDescriptor.SEQUENCE_OFFSET);
    assertEquals(8, InspectionDescriptor.EPOCH_OFFSET);
    assertEquals(12, InspectionDescriptor.COUNT_OFFSET);
    assertEquals(16, InspectionDescriptor.NAME_BYTES_OFFSET);
    assertEquals(20, InspectionDescriptor.NAMES_LEFT_OUT_OFFSET);
    assertEquals(64, InspectionDescriptor.NAME_ENTRIES_OFFSET);
    assertEquals(16384, InspectionDescriptor.NAME_TABLE_LENGTH);
    assertEquals(16, InspectionDescriptor.CALLS_IN_FLIGHT_OFFSET);
    assertEquals(24, InspectionDescriptor.WRITTEN_AT_OFFSET);
    assertEquals(64, InspectionDescriptor.CALL_ENTRIES_OFFSET);
    assertEquals(32, InspectionDescriptor.CALL_ENTRY_LENGTH);
    assertEquals(126, InspectionDescriptor.CALL_CAPACITY);
    assertEquals(4096, InspectionDescriptor.CALL_TABLE_LENGTH);
    assertEquals(4096, InspectionDescriptor.CALL_ENTRIES_OFFSET + InspectionDescriptor.CALL_CAPACITY * InspectionDescriptor.CALL_ENTRY_LENGTH);
    int[][] entry = {
      {InspectionDescriptor.CALL_ID_OFFSET, 8},
      {InspectionDescriptor.CALL_METHOD_ID_OFFSET, 4},
      {InspectionDescriptor.CALL_FLAGS_OFFSET, 4},
      {InspectionDescriptor.CALL_STARTED_OFFSET, 8},
      {InspectionDescriptor.CALL_DEADLINE_OFFSET, 8},
    };
    int next = 0;
    for (int[] f : entry) {
      assertEquals(next, f[0]);
      assertEquals(0, f[0] % f[1], "aligned");
      next = f[0] + f[1];
    }
    assertEquals(InspectionDescriptor.CALL_ENTRY_LENGTH, next);
    // 32 peers: header, 33 name tables, 32 call tables; every table page-aligned.
    assertEquals(4096 + 33 * 16384 + 32 * 4096, InspectionDescriptor.length(32));
    assertEquals(4096, InspectionDescriptor.hostNameTable());
    assertEquals(4096 + 16384 * 4, InspectionDescriptor.peerNameTable(3));
    assertEquals(4096 + 16384 * 33 + 4096 * 3, InspectionDescriptor.callTable(32, 3));
    assertEquals(8 + 12, InspectionDescriptor.nameEntryLength(10), "names padded to 4 bytes");
  }

  @Test
  void theInspectionRegionFollowsThePartPluginsMap(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    HubConfig config = SlotAllocatorTest.SMALL.toBuilder().directory(dir).build();
    HubFile file = HubFile.create(config, 1, 0);
    try {
      HubLayout l = file.layout();
      assertEquals(l.totalSize, file.buffer().getLong(HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET));
      assertEquals(InspectionDescriptor.length(l.maxPeers), file.buffer().getLong(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET));
      assertEquals(l.totalSize + InspectionDescriptor.length(l.maxPeers), java.nio.file.Files.size(file.path()));
      // The host's copy of its header holds the region's place: a check finds nothing to repair.
      assertEquals(null, file.header().checkAndRepair());
      assertEquals(l.totalSize, file.buffer().getLong(HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET));
      file.markReady();
      // A plugin maps only its part; an inspector maps the region too.
      assertEquals(null, HubFile.open(file.path()).inspection());
      assertTrue(HubFile.openReadOnly(file.path()).inspection() != null);
    } finally {
      file.close();
    }
  }

  @Test
  void stateAndHeadWordsRoundTrip() {
    long w = SlotDescriptor.stateWord(0xDEADBEEF, SlotDescriptor.IN_FLIGHT, 7, SlotDescriptor.HOST_ID);
    assertEquals(0xDEADBEEF, SlotDescriptor.generation(w));
    assertEquals(SlotDescriptor.IN_FLIGHT, SlotDescriptor.state(w));
    assertEquals(7, SlotDescriptor.owner(w));
    assertEquals(SlotDescriptor.HOST_ID, SlotDescriptor.receiver(w));
    long free = SlotDescriptor.freeWord(0xCAFEBABE, 0xFFFFFE);
    assertEquals(SlotDescriptor.FREE, SlotDescriptor.state(free));
    assertEquals(0xCAFEBABE, SlotDescriptor.generation(free));
    assertEquals(0xFFFFFE, SlotDescriptor.link(free));
    assertEquals(SlotDescriptor.NIL, SlotDescriptor.link(SlotDescriptor.freeWord(5, SlotDescriptor.NIL)));
    assertThrows(IllegalArgumentException.class, () -> SizeClass.of(64, SlotDescriptor.LINK_NIL));
    long h = SlotDescriptor.headWord((1L << 31) - 1, true, SlotDescriptor.NIL);
    assertEquals((1L << 31) - 1, SlotDescriptor.tag(h));
    assertTrue(SlotDescriptor.locked(h));
    assertEquals(SlotDescriptor.NIL, SlotDescriptor.index(h));
    long ref = SlotAllocator.ref(4, 0xABCDE, -2);
    assertEquals(4, SlotAllocator.refClass(ref));
    assertEquals(0xABCDE, SlotAllocator.refIndex(ref));
    assertEquals(-2, SlotAllocator.refGeneration(ref));
    assertEquals(RingDescriptor.basePosition(3) + 1, RingDescriptor.basePosition(3) + 1);
    assertEquals(0, DescriptorRing.positionInEpoch(RingDescriptor.basePosition(65535)));
  }

  @Test
  void defaultLayoutIsOrderedAlignedAndAbout109MiB() {
    HubLayout l = HubLayout.of(HubConfig.defaults());
    assertEquals(4096, l.peerTableOffset);
    assertEquals(l.peerTableOffset + 32 * 256, l.ringsOffset);
    assertEquals(l.ringsOffset + 64 * RingDescriptor.length(256), l.classControlOffset);
    long previousEnd = l.classControlOffset + 5 * 128;
    for (int c = 0; c < 5; c++) {
      assertEquals(previousEnd, l.recordOffsets[c]);
      previousEnd = l.recordOffsets[c] + (long) l.classes.get(c).slotCount() * 16;
    }
    for (int c = 0; c < 5; c++) {
      assertEquals(0, l.dataOffsets[c] % 4096, "slot data of class " + c + " is page-aligned");
      assertTrue(l.dataOffsets[c] >= previousEnd);
      previousEnd = l.dataOffsets[c] + l.classes.get(c).bytes();
    }
    assertEquals(l.totalSize, HubLayout.align(previousEnd, 4096));
    long pool = 1024L * 1024 + 16L * 1024 * 256 + 256L * 1024 * 32 + 4L * 1024 * 1024 * 8 + 16L * 1024 * 1024 * 4;
    assertTrue(l.totalSize > pool && l.totalSize < pool + (2 << 20), "total " + l.totalSize);
    assertEquals(16 << 20, HubConfig.defaults().maxPayloadLength());
  }

  @Test
  void configurationsBeyondOneMappingAreRefusedClearly() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new HubLayout(4, 256, List.of(SizeClass.of(64 << 20, 40))));
    assertTrue(e.getMessage().contains("limit"), e.getMessage());
  }
}
