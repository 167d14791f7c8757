package dev.spoke.testing;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * A hostile process for the tests of a hub's file: it knows only the hub's documented layout
 * (docs/HUB-LAYOUT.md: a 4096-byte header, the hub state a u32 at offset 12) and plain file calls — no
 * Spoke code — and does one raw thing to the hub at the path it is given, then says what happened on
 * stdout: {@code DONE …}, or {@code REFUSED <error>} if the system would not let it.
 *
 * <ul>
 *   <li>{@code garble-header PATH SEED}: writes random bytes over the whole header, once.
 *   <li>{@code garble-state PATH MILLIS}: writes garbage into the hub state word every 2 ms for MILLIS.
 *   <li>{@code truncate PATH SIZE}: truncates the file to SIZE bytes.
 *   <li>{@code replace PATH}: puts another file of random bytes in its place (a rename over it).
 * </ul>
 */
public final class HubVandal {

  /** The header's length and the hub state's offset, from docs/HUB-LAYOUT.md. */
  static final int HEADER_LENGTH = 4096;
  static final int HUB_STATE_OFFSET = 12;

  public static void main(String[] args) throws Exception {
    Path path = Paths.get(args[1]);
    try {
      switch (args[0]) {
        case "garble-header":
          garbleHeader(path, Long.parseLong(args[2]));
          break;
        case "garble-state":
          garbleState(path, Long.parseLong(args[2]));
          break;
        case "truncate":
          try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ch.truncate(Long.parseLong(args[2]));
            say("DONE truncated to " + ch.size() + " bytes");
          }
          break;
        case "replace":
          replace(path);
          break;
        default:
          say("FAIL unknown mode " + args[0]);
      }
    } catch (IOException e) {
      say("REFUSED " + e);
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static MappedByteBuffer header(Path path) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_LENGTH);
      m.order(ByteOrder.nativeOrder());
      return m;
    }
  }

  private static void garbleHeader(Path path, long seed) throws IOException {
    MappedByteBuffer m = header(path);
    byte[] junk = new byte[HEADER_LENGTH];
    new Random(seed).nextBytes(junk);
    m.put(0, junk);
    say("DONE garbled the header; the hub state now reads 0x" + Integer.toHexString(m.getInt(HUB_STATE_OFFSET)));
  }

  private static void garbleState(Path path, long millis) throws IOException, InterruptedException {
    MappedByteBuffer m = header(path);
    say("GARBLING");
    long end = System.nanoTime() + millis * 1_000_000;
    int writes = 0;
    while (System.nanoTime() < end) {
      m.putInt(HUB_STATE_OFFSET, 0x5EBA57ED);
      writes++;
      Thread.sleep(2);
    }
    say("DONE wrote garbage into the hub state " + writes + " times");
  }

  private static void replace(Path path) throws IOException {
    Path other = path.resolveSibling(path.getFileName() + ".other");
    byte[] junk = new byte[8192];
    new Random(1).nextBytes(junk);
    Files.write(other, junk);
    // The atomic rename succeeding is the proof the name was replaced; reading the name back would race
    // with a host that puts its link back at once.
    Files.move(other, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    say("DONE replaced it with a file of " + junk.length + " random bytes");
  }
}
