package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening hub files: every kind of unusable file gets a clear error; stale hubs are cleaned up. */
class HubFileTest {

  @TempDir
  Path dir;

  private Path realHub() throws IOException {
    HubFile f = HubFile.create(SlotAllocatorTest.SMALL.toBuilder().directory(dir.resolve("hubs")).build(),
        ProcessHandle.current().pid(), HubFile.currentProcessStartMillis());
    f.markReady();
    return f.path();
  }

  private Path copyOf(Path hub, String name) throws IOException {
    return Files.copy(hub, dir.resolve(name));
  }

  private static void patchInt(Path file, int offset, int value) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, value);
      ch.write(b, offset);
    }
  }

  private static String openError(Path file) {
    IOException e = assertThrows(IOException.class, () -> HubFile.open(file));
    return e.getMessage();
  }

  @Test
  void aValidHubOpensAndNamesItsConfiguration() throws Exception {
    HubFile f = HubFile.open(realHub());
    assertEquals(SlotAllocatorTest.SMALL.maxPeers(), f.layout().maxPeers);
    assertEquals(SlotAllocatorTest.SMALL.sizeClasses(), f.layout().classes);
  }

  @Test
  void aForeignFileIsNotAHub() throws Exception {
    Path foreign = dir.resolve("foreign.hub");
    byte[] junk = new byte[64 * 1024];
    new Random(1).nextBytes(junk);
    Files.write(foreign, junk);
    assertTrue(openError(foreign).contains("bad magic"), openError(foreign));
  }

  @Test
  void truncatedFilesAreCalledTruncated() throws Exception {
    Path hub = realHub();
    Path tiny = dir.resolve("tiny.hub");
    Files.write(tiny, new byte[100]);
    assertTrue(openError(tiny).contains("shorter than a hub header"), openError(tiny));
    Path cut = copyOf(hub, "cut.hub");
    try (FileChannel ch = FileChannel.open(cut, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(hub) / 2);
    }
    assertTrue(openError(cut).contains("truncated"), openError(cut));
  }

  @Test
  void aNewerLayoutAsksForAnUpgrade() throws Exception {
    Path newer = copyOf(realHub(), "newer.hub");
    patchInt(newer, HubHeaderDescriptor.LAYOUT_VERSION_OFFSET, (HubHeaderDescriptor.LAYOUT_VERSION + (1 << 16)));
    String message = openError(newer);
    assertTrue(message.contains("newer Spoke") && message.contains("layout version " + ((HubHeaderDescriptor.LAYOUT_VERSION >>> 16) + 1)), message);
  }

  @Test
  void theOtherByteOrderIsRecognised() throws Exception {
    Path swapped = copyOf(realHub(), "swapped.hub");
    try (FileChannel ch = FileChannel.open(swapped, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, Long.reverseBytes(HubHeaderDescriptor.MAGIC)), 0);
    }
    assertTrue(openError(swapped).contains("other byte order"), openError(swapped));
  }

  @Test
  void aHalfWrittenOrClosingHubIsRefused() throws Exception {
    Path hub = copyOf(realHub(), "initializing.hub");
    patchInt(hub, HubHeaderDescriptor.HUB_STATE, HubHeaderDescriptor.STATE_INITIALIZING);
    assertTrue(openError(hub).contains("INITIALIZING"), openError(hub));
    patchInt(hub, HubHeaderDescriptor.HUB_STATE, HubHeaderDescriptor.STATE_CLOSING);
    assertTrue(openError(hub).contains("CLOSING"), openError(hub));
  }

  @Test
  void aCorruptConfigurationIsRefused() throws Exception {
    Path hub = copyOf(realHub(), "corrupt.hub");
    patchInt(hub, HubHeaderDescriptor.RING_CAPACITY_OFFSET, 1000);
    assertTrue(openError(hub).contains("implausible configuration"), openError(hub));
    Path missing = dir.resolve("missing.hub");
    assertThrows(NoSuchFileException.class, () -> HubFile.open(missing));
  }

  @Test
  void hubFilesArePrivateAndRemovedOnClose() throws Exception {
    Path hubs = dir.resolve("private");
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(2).sizeClasses(SizeClass.of(1024, 4)).directory(hubs).build());
    Path path = host.path();
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(hubs)));
    host.close();
    assertFalse(Files.exists(path), "unlinked on close");
    assertTrue(Files.isDirectory(hubs), "the directory stays: another host may be creating its hub there");
  }

  @Test
  void aConfiguredDirectoryThatExistsIsLeftAsItIs() throws Exception {
    Path shared = Files.createDirectory(dir.resolve("shared"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x")); // whatever the umask
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4)).directory(shared).build());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(host.path())));
    host.close();
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    assertTrue(Files.isDirectory(shared));
  }

  @Test
  void theDefaultDirectoryMustBeARealDirectoryOfThisUser() throws Exception {
    Path fresh = dir.resolve("fresh");
    HubFile.ensurePrivateDirectory(fresh);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh)));
    Path loose = Files.createDirectory(dir.resolve("loose"));
    Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxrwxrwx"));
    HubFile.ensurePrivateDirectory(loose);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(loose)), "others' access removed");
    Path link = Files.createSymbolicLink(dir.resolve("link"), loose);
    IOException e = assertThrows(IOException.class, () -> HubFile.ensurePrivateDirectory(link));
    assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    Path file = Files.write(dir.resolve("plain"), new byte[1]);
    e = assertThrows(IOException.class, () -> HubFile.ensurePrivateDirectory(file));
    assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
  }

  @Test
  void staleHubsOfDeadHostsAreRemovedAtStartUp() throws Exception {
    Path hubs = dir.resolve("stale");
    // A hub whose host pid cannot exist.
    HubFile dead = HubFile.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 1)).directory(hubs).build(),
        Integer.MAX_VALUE - 7, 0);
    // A hub of a live host (this process).
    HubFile live = HubFile.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 1)).directory(hubs).build(),
        ProcessHandle.current().pid(), HubFile.currentProcessStartMillis());
    // Garbage named like a hub: kept while young, removed once old.
    Path young = hubs.resolve("spoke-1-young.hub");
    Files.write(young, new byte[10]);
    Path old = hubs.resolve("spoke-1-old.hub");
    Files.write(old, new byte[10]);
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minusSeconds(3600)));
    Path unrelated = hubs.resolve("notes.txt");
    Files.write(unrelated, new byte[10]);

    assertEquals(2, HubFile.removeStaleHubs(hubs));
    assertFalse(Files.exists(dead.path()));
    assertFalse(Files.exists(old));
    assertTrue(Files.exists(live.path()));
    assertTrue(Files.exists(young));
    assertTrue(Files.exists(unrelated));
  }

  @Test
  void aHostStartedWithTheDefaultDirectoryChecksItFirst() throws Exception {
    HubConfig defaults = HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4)).build();
    Path home = HubFile.defaultDirectory();
    HubHost.create(defaults).close(); // makes it if missing
    // Loosened by someone: the next host takes others' access away before it puts a hub there.
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));
    HubHost host = HubHost.create(defaults);
    try {
      assertEquals(home, host.path().getParent());
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home)));
    } finally {
      host.close();
    }
  }

  @Test
  void aRelativeConfiguredDirectoryIsMade() throws Exception {
    Path relative = Path.of("spoke-test-hubs-" + ProcessHandle.current().pid()); // no parent: one name
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4))
        .directory(relative).build());
    try {
      assertEquals(relative.toAbsolutePath(), host.path().getParent());
    } finally {
      host.close();
      Files.deleteIfExists(relative);
    }
  }

  @Test
  void aHubIsSealedMemoryThatCannotBeResizedWithALinkInTheDirectory() throws Exception {
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4))
        .directory(dir.resolve("sealed")).build());
    try {
      assertTrue(host.isSealed(), "this kernel offers memfd");
      Path name = host.path();
      Path memory = host.attachPath();
      assertTrue(Files.isSymbolicLink(name), "the name is a link");
      assertEquals(memory, Files.readSymbolicLink(name));
      assertEquals(Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd"), memory.getParent());
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(memory)));
      long size = Files.size(memory);
      for (Path p : new Path[] {name, memory}) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
          IOException shrink = assertThrows(IOException.class, () -> ch.truncate(0));
          assertTrue(shrink.getMessage().contains("Operation not permitted"), shrink.getMessage());
          IOException grow = assertThrows(IOException.class, () -> ch.write(ByteBuffer.allocate(1), size));
          assertTrue(grow.getMessage().contains("Operation not permitted"), grow.getMessage());
        }
      }
      assertEquals(size, Files.size(memory));
      HubFile.open(name).close(); // plugins may use either path
      HubFile.open(memory).close();
      host.close();
      assertFalse(Files.exists(name, LinkOption.NOFOLLOW_LINKS), "the link goes on close");
    } finally {
      host.close();
    }
  }

  @Test
  void otherUsersCannotOpenTheSealedHub() throws Exception {
    Path setpriv = Path.of("/usr/bin/setpriv");
    assumeTrue(Futex.uid() == 0 && Files.isExecutable(setpriv), "needs root and setpriv to act as another user");
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4))
        .directory(dir.resolve("others")).build());
    try {
      // As another user, without root's capabilities: the kernel refuses to follow /proc/<pid>/fd links
      // of a process one may not inspect (a ptrace read check).
      Process p = new ProcessBuilder(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=-all", "head", "-c", "8", host.attachPath().toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
      assertTrue(p.exitValue() != 0 && out.contains("Permission denied"), p.exitValue() + ": " + out);
    } finally {
      host.close();
    }
  }

  @Test
  void aPlainFileWhenConfigured() throws Exception {
    HubHost host = HubHost.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 4))
        .directory(dir.resolve("plain")).sealedMemory(false).build());
    try {
      assertFalse(host.isSealed());
      assertEquals(host.path(), host.attachPath());
      assertTrue(Files.isRegularFile(host.path(), LinkOption.NOFOLLOW_LINKS));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(host.path())));
    } finally {
      host.close();
    }
    assertFalse(Files.exists(host.path()));
  }

  @Test
  void linksToMemoryOfDeadHostsAreSwept() throws Exception {
    Path hubs = Files.createDirectories(dir.resolve("links"));
    // A dead host's link: its process, and with it the memory, is gone.
    Path dangling = Files.createSymbolicLink(hubs.resolve("spoke-" + (Integer.MAX_VALUE - 7) + "-dead.hub"),
        Path.of("/proc", Integer.toString(Integer.MAX_VALUE - 7), "fd", "3"));
    HubFile live = HubFile.create(HubConfig.builder().maxPeers(1).sizeClasses(SizeClass.of(1024, 1)).directory(hubs).build(),
        ProcessHandle.current().pid(), HubFile.currentProcessStartMillis());
    try {
      assertTrue(Files.isSymbolicLink(live.path()));
      assertEquals(1, HubFile.removeStaleHubs(hubs));
      assertFalse(Files.exists(dangling, LinkOption.NOFOLLOW_LINKS));
      assertTrue(Files.exists(live.path()));
    } finally {
      live.close();
    }
  }

  @Test
  void aPluginKeepsTheHeaderValuesItValidatedAtOpen() throws Exception {
    HubFile host = HubFile.create(SlotAllocatorTest.SMALL.toBuilder().directory(dir.resolve("kept"))
        .heartbeatInterval(java.time.Duration.ofMillis(1234)).build(), ProcessHandle.current().pid(), 42);
    host.markReady();
    HubFile plugin = HubFile.open(host.attachPath());
    try {
      // Garbage over the header after the plugin opened it: what the plugin uses was read at open.
      byte[] junk = new byte[HubHeaderDescriptor.LENGTH];
      new Random(9).nextBytes(junk);
      host.buffer().putBytes(0, junk, 0, junk.length);
      assertEquals(ProcessHandle.current().pid(), plugin.hostPid());
      assertEquals(42, plugin.hostStartMillis());
      assertEquals(java.time.Duration.ofMillis(1234), plugin.heartbeatInterval(java.time.Duration.ZERO));
      assertEquals(SlotAllocatorTest.SMALL.maxPeers(), plugin.layout().maxPeers);
    } finally {
      plugin.close();
      host.close();
    }
  }

  @Test
  void theDefaultDirectoryIsPerUserUnderDevShm() {
    Path d = HubFile.defaultDirectory();
    assertTrue(d.getFileName().toString().startsWith("spoke-"), d.toString());
    if (Files.isDirectory(Path.of("/dev/shm"))) {
      assertEquals(Path.of("/dev/shm"), d.getParent());
    }
  }
}
