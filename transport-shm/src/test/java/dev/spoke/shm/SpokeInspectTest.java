package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.OutboundFrame;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** spoke-inspect shows why a hub is stuck: who holds what, and what waits where. */
class SpokeInspectTest {

  @TempDir
  Path dir;

  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = SpokeInspect.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void showsPeersRingsWaitingFramesAndSlotOwners() throws Exception {
    try (HubHost host = HubHost.create(SlotAllocatorTest.SMALL.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("stuck-plugin", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "stuck-plugin", SlotAllocatorTest.SMALL);
      // The plugin never starts reading: what the host sends stays in its ring, with its slots.
      for (int i = 0; i < 3; i++) {
        OutboundFrame f = r.transport().claim(i == 0 ? 5000 : 8, Long.MAX_VALUE);
        f.payload().position(f.payload().limit());
        f.header().clear().kind(FrameKind.CALL_START).flags(FrameHeader.FLAG_MESSAGE).callId(100 + i).methodId(0xabc);
        f.commit();
      }
      String[] result = run(host.path().toString());
      assertEquals("0", result[0], result[2]);
      String out = result[1];
      assertTrue(out.contains("peer " + r.peerId() + " 'stuck-plugin' ACTIVE") && out.contains("pid " + ProcessHandle.current().pid()), out);
      assertTrue(out.contains("host→peer " + r.peerId() + ": head 0, tail 3, depth 3/16"), out);
      assertTrue(out.contains("CALL_START call 100 method 0xabc 5000 B in class 1 slot"), out);
      assertTrue(out.contains("CALL_START call 102 method 0xabc 8 B inline"), out);
      assertTrue(out.contains("class 1 (16 KiB): 1 of 16 in use, at most 1 (0 allocated, 1 in flight; {host→peer "
          + r.peerId() + " 'stuck-plugin'=1})"), out);
      // Names the host published turn ids into methods, here and in --json.
      host.inspection().publishPeerNames(r, java.util.Map.of(0xabc, "pkg.Stuck/Wait"));
      String named = run(host.path().toString())[1];
      assertTrue(named.contains("CALL_START call 100 pkg.Stuck/Wait 5000 B in class 1 slot"), named);
      String json = run("--json", host.path().toString())[1];
      assertTrue(json.contains("\"kind\":\"CALL_START\",\"callId\":100,\"methodId\":2748,\"method\":\"pkg.Stuck/Wait\""), json);
      // A whole directory works too, and the hub is left as it was.
      String[] all = run(dir.toString());
      assertTrue(all[1].contains("'stuck-plugin'"), all[1]);
      assertEquals(3, host.snapshot().peers.get(0).toPeer.depth);
      // Once the plugin reads, the ring empties; its high-water mark keeps the three it found waiting.
      HubBackPressureTest.Recording r2 = new HubBackPressureTest.Recording();
      peer.transport().start(r2);
      dev.spoke.testing.Conditions.waitUntil("the plugin took the frames", 10, () -> r2.ids.size() == 3);
      HubSnapshot.RingState ring = host.snapshot().peers.get(0).toPeer;
      assertEquals(0, ring.depth);
      assertEquals(3, ring.depthHighWater);
      assertTrue(run(host.path().toString())[1].contains("depth 0/16 (at most 3)"));
      peer.close();
    }
  }

  /**
   * The inspection region is the host's word, but any process of the user could write the file: garbage
   * there must neither break the inspector nor reach a terminal as escape sequences.
   */
  @Test
  void garbageInTheInspectionRegionIsReadSafely() throws Exception {
    try (HubHost host = HubHost.create(SlotAllocatorTest.SMALL.toBuilder().directory(dir).build())) {
      HubHost.Reservation r = host.reservePeer("victim", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "victim", SlotAllocatorTest.SMALL);
      host.inspection().publishPeerNames(r, java.util.Map.of(1, "evil\u001b]0;owned\u0007/Name"));
      host.inspection().publishCalls(r, java.util.List.of(new HubInspection.Call(7, 1, false, 0, System.nanoTime(), false, 0)));
      assertTrue(run(host.path().toString())[1].contains("host → plugin evil?]0;owned?/Name, call 7, unary"));
      SharedBuffer region = new SharedBuffer(java.nio.channels.FileChannel.open(host.path(),
          java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)
          .map(java.nio.channels.FileChannel.MapMode.READ_WRITE, host.memory().capacity(),
              InspectionDescriptor.length(SlotAllocatorTest.SMALL.maxPeers())));
      java.util.Random rnd = new java.util.Random(3);
      long names = InspectionDescriptor.peerNameTable(r.peerId());
      long calls = InspectionDescriptor.callTable(SlotAllocatorTest.SMALL.maxPeers(), r.peerId());
      for (int round = 0; round < 200; round++) {
        // Counts, lengths and flags that lie; sequences left even so the reader takes them.
        region.putInt(names + InspectionDescriptor.COUNT_OFFSET, rnd.nextInt());
        region.putInt(names + InspectionDescriptor.NAME_BYTES_OFFSET, rnd.nextInt());
        region.putInt(names + InspectionDescriptor.NAME_ENTRIES_OFFSET + 4, rnd.nextInt(3) == 0 ? -5 : rnd.nextInt(20000));
        region.putInt(calls + InspectionDescriptor.COUNT_OFFSET, rnd.nextInt());
        region.putInt(calls + InspectionDescriptor.CALLS_IN_FLIGHT_OFFSET, rnd.nextInt());
        region.putInt(calls + InspectionDescriptor.CALL_ENTRIES_OFFSET + InspectionDescriptor.CALL_FLAGS_OFFSET, rnd.nextInt());
        region.putLong(calls + InspectionDescriptor.CALL_ENTRIES_OFFSET + InspectionDescriptor.CALL_STARTED_OFFSET, rnd.nextLong());
        region.putLong(names + InspectionDescriptor.SEQUENCE_OFFSET, 2L * rnd.nextInt(1000));
        region.putLong(calls + InspectionDescriptor.SEQUENCE_OFFSET, 2L * rnd.nextInt(1000));
        String[] result = run(host.path().toString());
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].contains("'victim'"), result[1]);
        assertFalse(result[1].chars().anyMatch(c -> c == 0x1b || c == 0x07), "a control character got through");
        assertEquals("0", run("--json", host.path().toString())[0]);
      }
      // A sequence left odd (a writer that died mid-write): the reader gives up on the table, not forever.
      region.putLong(calls + InspectionDescriptor.SEQUENCE_OFFSET, 1);
      long start = System.nanoTime();
      assertEquals("0", run(host.path().toString())[0]);
      assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
      peer.close();
    }
  }

  @Test
  void helpDescribesTheOutputAndJsonIsOneLine() throws Exception {
    String[] help = run("--help");
    assertEquals("0", help[0]);
    assertEquals(SpokeInspect.usage() + System.lineSeparator(), help[1]);
    assertTrue(help[1].contains("STALE") && help[1].contains("--json") && help[1].contains("most ever in use"), help[1]);
    String[] none = run("--json", Files.createDirectory(dir.resolve("none")).toString());
    assertEquals("{\"hubs\":[]}" + System.lineSeparator(), none[1]);
  }

  @Test
  void unusableFilesAndBadOptionsAreReportedNotThrown() throws Exception {
    Path junk = dir.resolve("junk.hub");
    Files.write(junk, new byte[100]);
    String[] r = run(junk.toString());
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("shorter than a hub header"), r[2]);
    r = run(dir.resolve("missing.hub").toString());
    assertEquals("1", r[0]);
    assertTrue(r[2].contains("does not exist"), r[2]);
    r = run("--frobnicate");
    assertEquals("2", r[0]);
    assertTrue(r[2].contains("unknown option --frobnicate"), r[2]);
    Path empty = Files.createDirectory(dir.resolve("empty"));
    r = run(empty.toString());
    assertEquals("0", r[0]);
    assertTrue(r[1].contains("no hubs in"), r[1]);
  }
}
