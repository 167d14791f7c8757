package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.internal.LogThrottle;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host's copy of its header: whatever another process writes over the header, a check puts back
 * exactly what the host wrote (the live words aside), names what differed, and a plugin can open the hub
 * again. (Across processes, with plugins serving throughout: runtime-host's HubTamperingTest.)
 */
class HubHeaderGuardTest {

  @TempDir
  Path dir;

  private HubFile file;
  private SharedBuffer mem;
  private HubHeaderGuard guard;

  @BeforeEach
  void createHub() throws Exception {
    file = HubFile.create(SlotAllocatorTest.SMALL.toBuilder().directory(dir).build(), ProcessHandle.current().pid(),
        HubFile.currentProcessStartMillis());
    file.markReady();
    mem = file.buffer();
    guard = file.header();
  }

  @AfterEach
  void closeHub() {
    file.close();
  }

  private byte[] header() {
    byte[] b = new byte[HubHeaderDescriptor.LENGTH];
    mem.getBytes(0, b, 0, b.length);
    return b;
  }

  /** The header with the live words zeroed, for comparing what the host holds the file to. */
  private static byte[] withoutLiveWords(byte[] header) {
    byte[] b = header.clone();
    for (int i = 0; i < b.length; i++) {
      if (HubHeaderDescriptor.isLiveWord(i)) {
        b[i] = 0;
      }
    }
    return b;
  }

  @Test
  void aWholeHeaderIsLeftAlone() {
    byte[] before = header();
    assertNull(guard.checkAndRepair());
    assertArrayEquals(before, header());
    assertEquals(0, guard.repairs());
  }

  @Test
  void randomBytesOverTheWholeHeaderArePutBack() throws Exception {
    byte[] written = withoutLiveWords(header());
    Random rnd = new Random(5);
    for (int round = 0; round < 50; round++) {
      byte[] junk = new byte[HubHeaderDescriptor.LENGTH];
      rnd.nextBytes(junk);
      mem.putBytes(0, junk, 0, junk.length);
      String what = guard.checkAndRepair();
      assertTrue(what != null && what.startsWith("magic, layout version, hub state"), what);
      assertArrayEquals(written, withoutLiveWords(header()), "round " + round);
      assertEquals(HubHeaderDescriptor.STATE_READY, mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE));
      HubFile.open(file.attachPath()).close(); // a plugin launched now finds a hub it can use
    }
    assertEquals(50, guard.repairs());
  }

  @Test
  void oneFieldIsNamedAndTheLiveWordsAreNotTouched() {
    mem.putInt(HubHeaderDescriptor.HOST_DOORBELL_OFFSET, 12345);
    mem.putLong(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET, 777);
    assertNull(guard.checkAndRepair(), "the live words are others' to write");
    mem.putInt(HubHeaderDescriptor.sizeClassEntryOffset(1) + HubHeaderDescriptor.CLASS_SLOT_COUNT, 9);
    mem.putInt(HubHeaderDescriptor.HUB_STATE, 0x5EBA57ED);
    mem.putInt(1000, 1);
    String what = guard.checkAndRepair();
    assertEquals("hub state UNKNOWN(1589270509) (not READY), size class 1 slot count, 1 reserved words differed from "
        + "what the host wrote", what);
    assertEquals(12345, mem.getInt(HubHeaderDescriptor.HOST_DOORBELL_OFFSET));
    assertEquals(777, mem.getLong(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET));
    assertEquals(0, mem.getInt(1000));
    assertEquals(SlotAllocatorTest.SMALL.sizeClasses().get(1).slotCount(),
        mem.getInt(HubHeaderDescriptor.sizeClassEntryOffset(1) + HubHeaderDescriptor.CLASS_SLOT_COUNT));
  }

  @Test
  void theStateTheHostSetIsTheStateItKeeps() {
    file.markClosing();
    mem.putInt(HubHeaderDescriptor.HUB_STATE, HubHeaderDescriptor.STATE_READY);
    assertTrue(guard.checkAndRepair().contains("hub state READY (not CLOSING)"));
    assertEquals(HubHeaderDescriptor.STATE_CLOSING, mem.getIntAcquire(HubHeaderDescriptor.HUB_STATE));
  }

  @Test
  void aRepeatedLogLineGoesOutOncePerIntervalWithACount() throws Exception {
    LogThrottle throttle = new LogThrottle(200_000_000L);
    assertEquals(0, throttle.admit(), "the first goes out");
    for (int i = 0; i < 5; i++) {
      assertEquals(-1, throttle.admit());
    }
    Thread.sleep(250);
    assertEquals(5, throttle.admit(), "the next after the interval says how many were held back");
    assertEquals(-1, throttle.admit());
  }
}
