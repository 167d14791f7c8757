package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
      assertTrue(out.contains("class 1 (16 KiB): 1 of 16 in use (0 allocated, 1 in flight; {host→peer "
          + r.peerId() + " 'stuck-plugin'=1})"), out);
      // A whole directory works too, and the hub is left as it was.
      String[] all = run(dir.toString());
      assertTrue(all[1].contains("'stuck-plugin'"), all[1]);
      assertEquals(3, host.snapshot().peers.get(0).toPeer.depth);
      peer.close();
    }
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
