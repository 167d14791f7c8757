package dev.spoke.shm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the host's hub lives in, and how its plugins and tools reach it. Two kinds:
 *
 * <ul>
 *   <li><b>Sealed memory</b> (the default on Linux): an anonymous memory file ({@code memfd_create(2)})
 *       of the hub's size, sealed against shrinking and growing ({@code F_SEAL_SHRINK}, {@code
 *       F_SEAL_GROW}, then {@code F_SEAL_SEAL} so no seal can change). Nobody can truncate it, so no
 *       access to its mapping can fault; it is freed with the last process that maps it, so a host that
 *       dies leaves no hub behind. Plugins open it as {@code /proc/<hostpid>/fd/<n>}: the kernel lets
 *       only processes that may inspect the host (its user, or root) follow that link — a ptrace
 *       <em>read</em> check, which Yama's {@code ptrace_scope} leaves alone (it restricts attaching).
 *       The hub directory gets a symbolic link to that path under the hub's usual name, so {@code
 *       spoke-inspect} and the sweep of stale hubs still find it; the supervisor puts the link back if
 *       it is removed or replaced.
 *   <li><b>A plain file</b> in the hub directory (mode 0600, created exclusively): where the kernel has
 *       no memfd, or when configured ({@link HubConfig#sealedMemory()}). Another process of the user
 *       can truncate or replace it; {@link #check} detects both, and the host then declares the hub
 *       lost.
 * </ul>
 *
 * <p>Thread-safe.
 */
abstract class HubBacking {
  /** How many random hub names are tried before giving up: each one found taken was put there. */
  private static final int NAME_ATTEMPTS = 100;


  private static final Logger log = LoggerFactory.getLogger(HubBacking.class);
  private static final FileAttribute<Set<PosixFilePermission>> FILE_0600 =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /** A change to the backing that makes the hub unusable. Immutable. */
  static final class Loss {
    /** What happened, completing "the hub's file was … by another process": "truncated to 0 bytes (of n)". */
    final String what;
    /** True if the host's mapping still reads and writes (the file was replaced, not shrunk). */
    final boolean mappingIntact;

    Loss(String what, boolean mappingIntact) {
      this.what = what;
      this.mappingIntact = mappingIntact;
    }

    @Override
    public String toString() {
      return what;
    }
  }

  final long size;

  HubBacking(long size) {
    this.size = size;
  }

  /**
   * Creates the backing of a hub of {@code size} bytes: sealed memory if {@code sealedMemory} and the
   * kernel allows, else a sparse plain file named by {@code names} (called again on a name collision).
   */
  static HubBacking create(Supplier<Path> names, long size, boolean sealedMemory) throws IOException {
    if (sealedMemory && MemFd.AVAILABLE) {
      try {
        return SealedMemory.create(names, size);
      } catch (IOException e) {
        log.warn("the hub cannot live in sealed memory ({}); it is a plain file, which another process of "
            + "this user could truncate or replace", e.getMessage());
      }
    }
    return PlainFile.create(names, size);
  }

  /** The path plugins open: sealed memory's {@code /proc/<pid>/fd/<n>}, or the file. */
  abstract Path attachPath();

  /** The hub's entry in the hub directory (sealed memory: null until {@link #publishName}). */
  abstract Path name();

  /** A channel to the hub's bytes, to map them. Open until {@link #close}. */
  abstract FileChannel channel();

  /** True for sealed memory: nothing can change its size. */
  abstract boolean sealed();

  /** Called once the header is written (a hub named in the directory must look like one). */
  abstract void publishName() throws IOException;

  /** Null while the hub's bytes are whole and its name leads to them; otherwise what happened. */
  abstract Loss check();

  /**
   * Puts the hub's name back if it was removed or replaced and the backing allows (sealed memory: the
   * name is only a link); returns what it found, for a log line, or null if all was in order.
   */
  abstract String restoreName();

  /** Removes the hub's name from the directory and closes the descriptors. Never throws. */
  abstract void close();

  private static void extend(FileChannel ch, long size) throws IOException {
    // A sparse file: memory is used only for pages that are touched.
    ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
  }

  // ---------------------------------------------------------------------------------------------

  /** An anonymous memory file, sealed against resizing, with a symbolic link to it in the directory. */
  static final class SealedMemory extends HubBacking {
    private static final int SEALS = MemFd.F_SEAL_SHRINK | MemFd.F_SEAL_GROW | MemFd.F_SEAL_SEAL;

    private final Supplier<Path> names;
    private volatile Path name;
    private final Path attachPath;
    private final FileChannel channel;
    private final int fd;

    private SealedMemory(Supplier<Path> names, Path attachPath, FileChannel channel, int fd, long size) {
      super(size);
      this.names = names;
      this.attachPath = attachPath;
      this.channel = channel;
      this.fd = fd;
    }

    static SealedMemory create(Supplier<Path> names, long size) throws IOException {
      int fd = MemFd.create("spoke-hub");
      FileChannel ch = null;
      try {
        MemFd.chmod(fd, 0600);
        ch = FileChannel.open(Paths.get("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE);
        extend(ch, size);
        MemFd.addSeals(fd, SEALS);
        int seals = MemFd.seals(fd);
        if ((seals & SEALS) != SEALS) {
          throw new IOException("the kernel kept seals 0x" + Integer.toHexString(seals) + " of 0x" + Integer.toHexString(SEALS));
        }
        Path attach = Paths.get("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd));
        return new SealedMemory(names, attach, ch, fd, size);
      } catch (IOException | RuntimeException e) {
        if (ch != null) {
          ch.close();
        }
        MemFd.close(fd);
        throw e;
      }
    }

    @Override
    Path attachPath() {
      return attachPath;
    }

    @Override
    Path name() {
      return name;
    }

    @Override
    FileChannel channel() {
      return channel;
    }

    @Override
    boolean sealed() {
      return true;
    }

    @Override
    void publishName() throws IOException {
      for (int attempt = 0; ; attempt++) {
        Path candidate = names.get();
        try {
          Files.createSymbolicLink(candidate, attachPath);
          name = candidate;
          return;
        } catch (FileAlreadyExistsException e) {
          // astronomically unlikely; pick another name (bounded: random names that keep existing are planted)
          if (attempt >= NAME_ATTEMPTS) {
            throw e;
          }
        }
      }
    }

    @Override
    Loss check() {
      try {
        long now = channel.size();
        return now == size ? null : new Loss("resized to " + now + " bytes (of " + size + ") despite its seals", now >= size);
      } catch (IOException e) {
        return null; // cannot look now; the seals say nothing changed
      }
    }

    @Override
    String restoreName() {
      Path n = name;
      if (n == null) {
        return null;
      }
      String found;
      try {
        if (Files.isSymbolicLink(n) && attachPath.equals(Files.readSymbolicLink(n))) {
          return null;
        }
        found = !Files.exists(n, LinkOption.NOFOLLOW_LINKS) ? "it was removed"
            : Files.isSymbolicLink(n) ? "it was replaced by a link to " + Files.readSymbolicLink(n)
            : "it was replaced by another file";
        Files.deleteIfExists(n);
        Files.createSymbolicLink(n, attachPath);
        return "the hub's name " + n + " was not its link: " + found + "; put back (the hub itself was never touched)";
      } catch (IOException e) {
        return "the hub's name " + n + " is gone and cannot be put back (" + e + "); plugins are unaffected, but "
            + "spoke-inspect cannot find the hub";
      }
    }

    @Override
    void close() {
      Path n = name;
      try {
        if (n != null) {
          Files.deleteIfExists(n);
        }
      } catch (IOException e) {
        log.warn("could not remove the hub's link {}: {}", n, e.toString());
      }
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing the hub's channel: {}", e.toString());
      }
      MemFd.close(fd);
    }

    @Override
    public String toString() {
      return "sealed memory " + attachPath + (name != null ? " (named " + name + ")" : "");
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** A plain file in the hub directory. */
  static final class PlainFile extends HubBacking {
    private final FileChannel channel;
    private final Object fileKey;

    private final Path path;

    private PlainFile(Path path, FileChannel channel, Object fileKey, long size) {
      super(size);
      this.path = path;
      this.channel = channel;
      this.fileKey = fileKey;
    }

    static PlainFile create(Supplier<Path> names, long size) throws IOException {
      Path path;
      FileChannel channel;
      for (int attempt = 0; ; attempt++) {
        path = names.get();
        try {
          channel = FileChannel.open(path, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
              StandardOpenOption.WRITE), FILE_0600);
          break;
        } catch (FileAlreadyExistsException e) {
          // astronomically unlikely; pick another name (bounded: random names that keep existing are planted)
          if (attempt >= NAME_ATTEMPTS) {
            throw e;
          }
        } catch (UnsupportedOperationException e) {
          channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
          break;
        }
      }
      try {
        channel.truncate(0);
        extend(channel, size);
        Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        return new PlainFile(path, channel, key, size);
      } catch (IOException | RuntimeException e) {
        channel.close();
        Files.deleteIfExists(path);
        throw e;
      }
    }

    @Override
    Path attachPath() {
      return path;
    }

    @Override
    Path name() {
      return path;
    }

    @Override
    FileChannel channel() {
      return channel;
    }

    @Override
    boolean sealed() {
      return false;
    }

    @Override
    void publishName() {
      // the file has its name from the start
    }

    @Override
    Loss check() {
      long now;
      try {
        now = channel.size(); // our own descriptor: sees a truncation even if the file was renamed away
      } catch (IOException e) {
        return null;
      }
      if (now < size) {
        return new Loss("truncated to " + now + " bytes (of " + size + ")", false);
      }
      Object key;
      try {
        key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
      } catch (NoSuchFileException e) {
        return new Loss("removed", true);
      } catch (IOException e) {
        return null;
      }
      if (fileKey != null && !Objects.equals(fileKey, key)) {
        return new Loss("replaced", true);
      }
      return null;
    }

    @Override
    String restoreName() {
      return null; // a file removed or replaced is a loss (see check): new plugins could not reach the hub
    }

    @Override
    void close() {
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        log.warn("could not remove hub file {}: {}", path, e.toString());
      }
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing the hub's channel: {}", e.toString());
      }
    }

    @Override
    public String toString() {
      return "file " + path;
    }
  }
}
