package dev.spoke.shm;

import static dev.spoke.shm.HubHeaderDescriptor.CLASS_DATA_OFFSET;
import static dev.spoke.shm.HubHeaderDescriptor.CLASS_META_OFFSET;
import static dev.spoke.shm.HubHeaderDescriptor.CLASS_SLOT_COUNT;
import static dev.spoke.shm.HubHeaderDescriptor.CLASS_SLOT_SIZE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub file: created by the host, mapped by the host and by every plugin, gone when the host
 * closes. By default it is sealed memory (see {@link HubBacking}): an anonymous memory file nobody can
 * truncate or grow, reached through {@code /proc/<hostpid>/fd/<n>}, with a link under the hub's name in a
 * directory only its user can read; where the kernel has no such memory, or when configured, it is a
 * plain file of mode 0600 with a unique name in that directory. Opening checks the file thoroughly and
 * says exactly what is wrong with a foreign, truncated, newer or half-written file. Hubs left behind by
 * hosts that died (plain files, or links to memory that went with its host) are removed when the next
 * host starts.
 *
 * <p>The host's side holds its own copy of the header ({@link HubHeaderGuard}) and checks its backing
 * ({@link #checkBacking}); a plugin's side keeps the header values it validated at open and never
 * reads them from the mapping again, and checks that the file has not been truncated ({@link
 * #checkSize}).
 *
 * <p>The mapping is not unmapped on close (Java unmaps when the buffer is collected): a thread that
 * still touches the hub after close must never crash the process.
 *
 * <p>Thread-safe after creation.
 */
public final class HubFile {

  private static final Logger log = LoggerFactory.getLogger(HubFile.class);
  private static final String PREFIX = "spoke-";
  private static final String SUFFIX = ".hub";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final FileAttribute<Set<PosixFilePermission>> DIR_0700 =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private final Path path;
  private final SharedBuffer buffer;
  private final HubLayout layout;
  /** The host's: what the hub lives in. Null on a plugin's side. */
  private final HubBacking backing;
  /** The host's: its copy of the header. Null on a plugin's side. */
  private final HubHeaderGuard header;
  /** A plugin's: the open file, to see its size. Null on the host's side and for inspection. */
  private final FileChannel channel;
  /** Header values as validated when the file was opened (or written, on the host's side). */
  private final long hostPid;
  private final long hostStartMillis;
  private final int heartbeatIntervalMillis;
  private final int heartbeatTimeoutMillis;
  /** The inspection region: the host's (read-write) or an inspector's (read-only); null for plugins and old hubs. */
  private final SharedBuffer inspection;
  private final int layoutVersion;

  private HubFile(Path path, SharedBuffer buffer, HubLayout layout, HubBacking backing, FileChannel channel,
      HeaderValues values, SharedBuffer inspection, int layoutVersion) {
    this.path = path;
    this.buffer = buffer;
    this.layout = layout;
    this.backing = backing;
    this.header = backing != null ? new HubHeaderGuard(buffer) : null;
    this.channel = channel;
    this.hostPid = values.hostPid;
    this.hostStartMillis = values.hostStartMillis;
    this.heartbeatIntervalMillis = values.heartbeatIntervalMillis;
    this.heartbeatTimeoutMillis = values.heartbeatTimeoutMillis;
    this.inspection = inspection;
    this.layoutVersion = layoutVersion;
  }

  /** The inspection region, or null where this process does not map one. */
  SharedBuffer inspection() {
    return inspection;
  }

  /**
   * The hub's name: its entry in the hub directory (for sealed memory, the link to it), or the path it
   * was opened by.
   */
  public Path path() {
    return path;
  }

  /** The path plugins open: {@code /proc/<hostpid>/fd/<n>} for sealed memory, else {@link #path()}. */
  Path attachPath() {
    return backing != null ? backing.attachPath() : path;
  }

  /** True if the hub is sealed memory, which nobody can truncate or grow (the host's side only knows). */
  boolean sealed() {
    return backing != null && backing.sealed();
  }

  /** The host's copy of the header (the host's side only). */
  HubHeaderGuard header() {
    return header;
  }

  /** The host pid the header named when the file was opened. */
  long hostPid() {
    return hostPid;
  }

  /** The host's start time (epoch millis) the header named when the file was opened. */
  long hostStartMillis() {
    return hostStartMillis;
  }

  /** The host's heartbeat interval from the header as opened, or {@code fallback} for a layout 1.0 hub. */
  Duration heartbeatInterval(Duration fallback) {
    return heartbeatIntervalMillis > 0 ? Duration.ofMillis(heartbeatIntervalMillis) : fallback;
  }

  /** The host's heartbeat timeout from the header as opened, or {@code fallback} for a layout 1.0 hub. */
  Duration heartbeatTimeout(Duration fallback) {
    return heartbeatTimeoutMillis > 0 ? Duration.ofMillis(heartbeatTimeoutMillis) : fallback;
  }

  SharedBuffer buffer() {
    return buffer;
  }

  HubLayout layout() {
    return layout;
  }

  /**
   * Where hubs go by default: {@code /dev/shm/spoke-<uid>} (memory-backed) when /dev/shm exists, else
   * {@code <java.io.tmpdir>/spoke-<uid>}; made with mode 0700.
   */
  public static Path defaultDirectory() {
    Path shm = Paths.get("/dev/shm");
    Path root = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir"));
    int uid = Futex.uid();
    return root.resolve(PREFIX + (uid >= 0 ? String.valueOf(uid) : System.getProperty("user.name", "user")));
  }

  /**
   * Makes the default directory (mode 0700) if missing. One that exists must be a real directory owned
   * by this user, or another user could have made it to read our hubs; others' access to it is removed.
   */
  static void ensurePrivateDirectory(Path dir) throws IOException {
    dir = dir.toAbsolutePath();
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, DIR_0700);
      return;
    } catch (FileAlreadyExistsException e) {
      // check it below
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(dir); // not POSIX: permissions are the platform's business
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " is not a directory (or is a symbolic link); hubs are not put there");
    }
    if (!dir.getFileSystem().supportedFileAttributeViews().containsAll(Set.of("posix", "unix"))) {
      return; // no owners or modes to check here
    }
    int uid = Futex.uid();
    if (uid >= 0) {
      Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if (owner instanceof Integer && (Integer) owner != uid) {
        throw new IOException(dir + " belongs to uid " + owner + ", not to this user (uid " + uid
            + "); hubs are not put there. Remove it, or configure another directory");
      }
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
    EnumSet<PosixFilePermission> others = EnumSet.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
    others.retainAll(perms);
    if (!others.isEmpty()) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /**
   * Makes a configured directory (mode 0700) if missing. One that exists is left as it is: it is the
   * user's, and the hub file in it is private anyway (mode 0600, created exclusively).
   */
  static void ensureConfiguredDirectory(Path dir) throws IOException {
    dir = dir.toAbsolutePath();
    if (Files.isDirectory(dir)) {
      return;
    }
    try {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, DIR_0700);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw new IOException("the hub directory " + dir + " is not a directory", e);
      }
    } catch (UnsupportedOperationException e) {
      Files.createDirectories(dir);
    }
  }

  /**
   * Host: the directory {@code config} puts hubs in, made ready: the default one private to this user
   * (see {@link #ensurePrivateDirectory}), a configured one made if missing.
   */
  static Path prepareDirectory(HubConfig config) throws IOException {
    if (config.directory() != null) {
      Path dir = config.directory().toAbsolutePath();
      ensureConfiguredDirectory(dir);
      return dir;
    }
    Path dir = defaultDirectory();
    ensurePrivateDirectory(dir);
    return dir;
  }

  /**
   * Host: creates, maps and formats a new hub: sealed memory when {@link HubConfig#sealedMemory()} and
   * the kernel allow, else a plain file.
   */
  static HubFile create(HubConfig config, long hostPid, long hostStartMillis) throws IOException {
    HubLayout layout = HubLayout.of(config);
    Path dir = prepareDirectory(config);
    Supplier<Path> names = () ->
        dir.resolve(PREFIX + hostPid + "-" + Long.toHexString(RANDOM.nextLong() & Long.MAX_VALUE) + SUFFIX);
    // The inspection region follows the part plugins map; the backing holds both.
    long inspectionLength = InspectionDescriptor.length(layout.maxPeers);
    HubBacking backing = HubBacking.create(names, layout.totalSize + inspectionLength, config.sealedMemory());
    try {
      MappedByteBuffer mapped = backing.channel().map(FileChannel.MapMode.READ_WRITE, 0, layout.totalSize);
      SharedBuffer buffer = new SharedBuffer(mapped);
      SharedBuffer inspection = new SharedBuffer(
          backing.channel().map(FileChannel.MapMode.READ_WRITE, layout.totalSize, inspectionLength));
      inspection.putInt(InspectionDescriptor.REGION_VERSION_OFFSET, InspectionDescriptor.REGION_VERSION);
      inspection.putInt(InspectionDescriptor.REGION_MAX_PEERS_OFFSET, layout.maxPeers);
      // The header, inspection fields included, is complete before the host's guard takes its copy.
      HeaderValues values = writeHeader(buffer, layout, config, hostPid, hostStartMillis, inspectionLength);
      // Named only now: a hub found in the directory always has its header.
      backing.publishName();
      return new HubFile(backing.name(), buffer, layout, backing, null, values, inspection,
          HubHeaderDescriptor.LAYOUT_VERSION);
    } catch (IOException | RuntimeException e) {
      backing.close();
      throw e;
    }
  }

  private static int millis(Duration d) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, d.toMillis()));
  }

  private static HeaderValues writeHeader(SharedBuffer b, HubLayout layout, HubConfig config, long hostPid,
      long hostStartMillis, long inspectionLength) {
    b.putLong(HubHeaderDescriptor.MAGIC_OFFSET, HubHeaderDescriptor.MAGIC);
    b.putInt(HubHeaderDescriptor.LAYOUT_VERSION_OFFSET, HubHeaderDescriptor.LAYOUT_VERSION);
    b.putLong(HubHeaderDescriptor.TOTAL_SIZE_OFFSET, layout.totalSize);
    b.putLong(HubHeaderDescriptor.HOST_PID_OFFSET, hostPid);
    b.putLong(HubHeaderDescriptor.HOST_START_MILLIS_OFFSET, hostStartMillis);
    b.putInt(HubHeaderDescriptor.MAX_PEERS_OFFSET, layout.maxPeers);
    b.putInt(HubHeaderDescriptor.RING_CAPACITY_OFFSET, layout.ringCapacity);
    b.putInt(HubHeaderDescriptor.SIZE_CLASS_COUNT_OFFSET, layout.classCount());
    b.putLong(HubHeaderDescriptor.PEER_TABLE_OFFSET_OFFSET, layout.peerTableOffset);
    b.putLong(HubHeaderDescriptor.RINGS_OFFSET_OFFSET, layout.ringsOffset);
    b.putLong(HubHeaderDescriptor.CLASS_CONTROL_OFFSET_OFFSET, layout.classControlOffset);
    b.putInt(HubHeaderDescriptor.HEARTBEAT_INTERVAL_MILLIS_OFFSET, millis(config.heartbeatInterval()));
    b.putInt(HubHeaderDescriptor.HEARTBEAT_TIMEOUT_MILLIS_OFFSET, millis(config.heartbeatTimeout()));
    b.putLong(HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET, layout.totalSize);
    b.putLong(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET, inspectionLength);
    b.putLong(HubHeaderDescriptor.HOST_HEARTBEAT_OFFSET, System.nanoTime());
    for (int c = 0; c < layout.classCount(); c++) {
      int e = HubHeaderDescriptor.sizeClassEntryOffset(c);
      b.putInt(e + CLASS_SLOT_SIZE, layout.classes.get(c).slotSize());
      b.putInt(e + CLASS_SLOT_COUNT, layout.classes.get(c).slotCount());
      b.putLong(e + CLASS_META_OFFSET, layout.recordOffsets[c]);
      b.putLong(e + CLASS_DATA_OFFSET, layout.dataOffsets[c]);
    }
    return new HeaderValues(hostPid, hostStartMillis, millis(config.heartbeatInterval()), millis(config.heartbeatTimeout()));
  }

  /** Host: everything is in place; peers may attach. Written last, with release. */
  void markReady() {
    header.setState(HubHeaderDescriptor.STATE_READY);
  }

  /** Host: the hub is closing; plugins leave. */
  void markClosing() {
    header.setState(HubHeaderDescriptor.STATE_CLOSING);
  }

  /** Host: null while the hub's memory is whole and its name leads to it; otherwise what happened. */
  HubBacking.Loss checkBacking() {
    return backing.check();
  }

  /** Host: puts the hub's name back if it went (sealed memory); what it found, or null. */
  String restoreName() {
    return backing.restoreName();
  }

  /**
   * A plugin: null while the file is at least as long as the hub; otherwise what happened to it
   * ("truncated to n bytes (of m)"). Its
   * own descriptor's size: a truncation is seen even if the file was renamed or replaced since.
   */
  String checkSize() {
    if (channel == null) {
      return null;
    }
    try {
      long size = channel.size();
      return size < layout.totalSize ? "truncated to " + size + " bytes (of " + layout.totalSize + ")" : null;
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * Peer: opens and validates an existing hub.
   *
   * @throws HubFormatException if the file is not a hub this version can use, saying why
   * @throws IOException if it cannot be read at all
   */
  static HubFile open(Path path) throws IOException {
    return open(path, false);
  }

  /**
   * Opens a hub only to read it (for inspection): nothing can be written through the mapping, so looking
   * at a live hub never disturbs it. A hub that is not READY (being created, or closing) opens too.
   */
  public static HubFile openReadOnly(Path path) throws IOException {
    return open(path, true);
  }

  private static HubFile open(Path path, boolean readOnly) throws IOException {
    StandardOpenOption[] options = readOnly
        ? new StandardOpenOption[] {StandardOpenOption.READ}
        : new StandardOpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE};
    FileChannel ch;
    try {
      ch = FileChannel.open(path, options);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "no hub file there (its host may have exited)");
    }
    boolean keep = false;
    try {
      long size = ch.size();
      if (size < HubHeaderDescriptor.LENGTH) {
        throw new HubFormatException(path, "it is " + size + " bytes, shorter than a hub header ("
            + HubHeaderDescriptor.LENGTH + " bytes): truncated, or not a hub");
      }
      ByteBuffer header = ByteBuffer.allocate(HubHeaderDescriptor.LENGTH).order(ByteOrder.nativeOrder());
      ch.read(header, 0);
      header.flip();
      HubLayout layout = validateHeader(path, header, size);
      HeaderValues values = validateValues(path, header);
      MappedByteBuffer mapped =
          ch.map(readOnly ? FileChannel.MapMode.READ_ONLY : FileChannel.MapMode.READ_WRITE, 0, layout.totalSize);
      SharedBuffer buffer = new SharedBuffer(mapped);
      int state = buffer.getIntAcquire(HubHeaderDescriptor.HUB_STATE);
      if (!readOnly && state != HubHeaderDescriptor.STATE_READY) {
        throw new HubFormatException(path, "the hub is " + HubHeaderDescriptor.stateName(state)
            + ", not READY: its host has not finished creating it, or is closing it");
      }
      // Plugins have no use for the inspection region; an inspector maps it if the header places it sanely.
      SharedBuffer inspection = null;
      long at = header.getLong(HubHeaderDescriptor.INSPECTION_OFFSET_OFFSET);
      long length = header.getLong(HubHeaderDescriptor.INSPECTION_LENGTH_OFFSET);
      if (readOnly && at == layout.totalSize && length == InspectionDescriptor.length(layout.maxPeers)
          && at + length <= size) {
        inspection = new SharedBuffer(ch.map(FileChannel.MapMode.READ_ONLY, at, length));
      }
      // A plugin keeps its descriptor, to see the file's size; an inspection holds nothing open.
      keep = !readOnly;
      return new HubFile(path, buffer, layout, null, keep ? ch : null, values, inspection,
          header.getInt(HubHeaderDescriptor.LAYOUT_VERSION_OFFSET));
    } finally {
      if (!keep) {
        ch.close();
      }
    }
  }

  /** The header values a plugin uses after attaching, checked once here and never read again. */
  private static HeaderValues validateValues(Path path, ByteBuffer h) throws HubFormatException {
    long pid = h.getLong(HubHeaderDescriptor.HOST_PID_OFFSET);
    long start = h.getLong(HubHeaderDescriptor.HOST_START_MILLIS_OFFSET);
    int interval = h.getInt(HubHeaderDescriptor.HEARTBEAT_INTERVAL_MILLIS_OFFSET);
    int timeout = h.getInt(HubHeaderDescriptor.HEARTBEAT_TIMEOUT_MILLIS_OFFSET);
    if (pid <= 0 || pid > Integer.MAX_VALUE || start < 0 || interval < 0 || timeout < 0) {
      throw new HubFormatException(path, "implausible host (pid " + pid + ", started " + start + ", heartbeat "
          + interval + " ms, timeout " + timeout + " ms): corrupt header");
    }
    return new HeaderValues(pid, start, interval, timeout);
  }

  /** The header values a side uses after creating or opening the hub. Immutable. */
  private static final class HeaderValues {
    final long hostPid;
    final long hostStartMillis;
    final int heartbeatIntervalMillis;
    final int heartbeatTimeoutMillis;

    HeaderValues(long hostPid, long hostStartMillis, int heartbeatIntervalMillis, int heartbeatTimeoutMillis) {
      this.hostPid = hostPid;
      this.hostStartMillis = hostStartMillis;
      this.heartbeatIntervalMillis = heartbeatIntervalMillis;
      this.heartbeatTimeoutMillis = heartbeatTimeoutMillis;
    }
  }

  private static HubLayout validateHeader(Path path, ByteBuffer h, long fileSize) throws HubFormatException {
    long magic = h.getLong(HubHeaderDescriptor.MAGIC_OFFSET);
    if (magic != HubHeaderDescriptor.MAGIC) {
      if (magic == Long.reverseBytes(HubHeaderDescriptor.MAGIC)) {
        throw new HubFormatException(path, "it was written by a machine of the other byte order");
      }
      throw new HubFormatException(path, String.format("bad magic 0x%016x (expected 0x%016x \"SPOKEHUB\"): not a hub",
          magic, HubHeaderDescriptor.MAGIC));
    }
    int version = h.getInt(HubHeaderDescriptor.LAYOUT_VERSION_OFFSET);
    int major = version >>> 16;
    int ourMajor = HubHeaderDescriptor.LAYOUT_VERSION >>> 16;
    if (major != ourMajor) {
      throw new HubFormatException(path, "layout version " + major + "." + (version & 0xFFFF) + " but this Spoke reads "
          + ourMajor + ".x: " + (major > ourMajor ? "the host runs a newer Spoke; upgrade the plugin" : "the host runs an older Spoke"));
    }
    long total = h.getLong(HubHeaderDescriptor.TOTAL_SIZE_OFFSET);
    int maxPeers = h.getInt(HubHeaderDescriptor.MAX_PEERS_OFFSET);
    int ringCapacity = h.getInt(HubHeaderDescriptor.RING_CAPACITY_OFFSET);
    int classCount = h.getInt(HubHeaderDescriptor.SIZE_CLASS_COUNT_OFFSET);
    if (maxPeers < 1 || maxPeers > SlotDescriptor.MAX_PEER_ID + 1 || classCount < 1
        || classCount > HubHeaderDescriptor.MAX_SIZE_CLASSES) {
      throw new HubFormatException(path, "implausible configuration (peers " + maxPeers + ", size classes " + classCount + ")");
    }
    List<SizeClass> classes = new ArrayList<>();
    HubLayout layout;
    try {
      for (int c = 0; c < classCount; c++) {
        int e = HubHeaderDescriptor.sizeClassEntryOffset(c);
        classes.add(SizeClass.of(h.getInt(e + CLASS_SLOT_SIZE), h.getInt(e + CLASS_SLOT_COUNT)));
      }
      layout = new HubLayout(maxPeers, ringCapacity, classes);
    } catch (IllegalArgumentException e) {
      throw new HubFormatException(path, "implausible configuration: " + e.getMessage());
    }
    if (total != layout.totalSize) {
      throw new HubFormatException(path, "the header says " + total + " bytes but its configuration needs "
          + layout.totalSize + ": corrupt header");
    }
    if (fileSize < total) {
      throw new HubFormatException(path, "it is " + fileSize + " bytes but the hub needs " + total + ": truncated");
    }
    boolean offsetsAgree = h.getLong(HubHeaderDescriptor.PEER_TABLE_OFFSET_OFFSET) == layout.peerTableOffset
        && h.getLong(HubHeaderDescriptor.RINGS_OFFSET_OFFSET) == layout.ringsOffset
        && h.getLong(HubHeaderDescriptor.CLASS_CONTROL_OFFSET_OFFSET) == layout.classControlOffset;
    for (int c = 0; c < classCount && offsetsAgree; c++) {
      int e = HubHeaderDescriptor.sizeClassEntryOffset(c);
      offsetsAgree = h.getLong(e + CLASS_META_OFFSET) == layout.recordOffsets[c]
          && h.getLong(e + CLASS_DATA_OFFSET) == layout.dataOffsets[c];
    }
    if (!offsetsAgree) {
      throw new HubFormatException(path, "its offsets disagree with the layout this Spoke computes for its configuration");
    }
    return layout;
  }

  /**
   * Host: removes the hub's name from the directory and closes its descriptors; the memory of sealed
   * memory goes once no process maps it. Plugins that still map it keep their mapping until they exit.
   * The directory stays: removing it, even empty, would race with another host creating its hub there.
   * Never throws.
   */
  void close() {
    if (backing != null) {
      backing.close();
    } else if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        log.debug("closing {}: {}", path, e.toString());
      }
    }
  }

  /**
   * Removes hubs in {@code dir} whose host is gone: plain files whose host pid is not running, or runs a
   * process started at another time (the pid was reused); links to sealed memory that no longer lead to
   * a hub (the memory went with its host). Plain files that are not readable hubs are removed once they
   * are a minute old (younger ones may be hubs being created; a link is only made once its hub has its
   * header). Returns how many were removed.
   */
  public static int removeStaleHubs(Path dir) {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int removed = 0;
    long self = ProcessHandle.current().pid();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path file : files) {
        try {
          String why = Files.isSymbolicLink(file) ? staleLinkReason(file, self) : staleReason(file, self);
          if (why != null) {
            Files.deleteIfExists(file);
            removed++;
            log.info("removed stale hub {} ({})", file, why);
          }
        } catch (IOException e) {
          log.debug("could not examine {}: {}", file, e.toString());
        }
      }
    } catch (IOException e) {
      log.warn("could not scan {} for stale hubs: {}", dir, e.toString());
    }
    return removed;
  }

  private static String staleReason(Path file, long self) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      ch.read(h, 0);
    }
    h.flip();
    boolean old = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant()
        .isBefore(Instant.now().minusSeconds(60));
    if (h.remaining() < 40 || h.getLong(HubHeaderDescriptor.MAGIC_OFFSET) != HubHeaderDescriptor.MAGIC) {
      return old ? "not a readable hub, over a minute old" : null;
    }
    return hostGoneReason(h, self);
  }

  /** A link to sealed memory: stale once it leads nowhere, or to something that is not a live hub. */
  private static String staleLinkReason(Path link, long self) throws IOException {
    Path target = Files.readSymbolicLink(link);
    if (!Files.exists(link)) {
      return "its memory went with its host (the link to " + target + " leads nowhere)";
    }
    ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.nativeOrder());
    try (FileChannel ch = FileChannel.open(link, StandardOpenOption.READ)) {
      ch.read(h, 0);
    } catch (IOException e) {
      return null; // not ours to read (another user's process now has that pid): leave it to its owner
    }
    h.flip();
    if (h.remaining() < 40 || h.getLong(HubHeaderDescriptor.MAGIC_OFFSET) != HubHeaderDescriptor.MAGIC) {
      // Links are made once the header is written: this one leads to another process's descriptor now
      // (its host died and the pid was reused), or to a hub whose header another process is rewriting
      // this moment, whose host puts its link back.
      boolean old = Files.getLastModifiedTime(link, LinkOption.NOFOLLOW_LINKS).toInstant()
          .isBefore(Instant.now().minusSeconds(60));
      return old ? "its link to " + target + " leads to something that is not a hub" : null;
    }
    return hostGoneReason(h, self);
  }

  /** Why the host named in header {@code h} is gone, or null if it still runs. */
  private static String hostGoneReason(ByteBuffer h, long self) {
    long pid = h.getLong(HubHeaderDescriptor.HOST_PID_OFFSET);
    long start = h.getLong(HubHeaderDescriptor.HOST_START_MILLIS_OFFSET);
    if (pid == self) {
      return null;
    }
    if (!ProcessLiveness.isAlive(pid, 0)) {
      return "host pid " + pid + " is gone";
    }
    if (!ProcessLiveness.isAlive(pid, start)) {
      return "pid " + pid + " now belongs to another process";
    }
    return null;
  }

  /** The start time of the current process in epoch millis, as recorded in headers. */
  static long currentProcessStartMillis() {
    return ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /** A picture of the hub, listing up to {@code maxWaiting} descriptors per ring. */
  public HubSnapshot snapshot(int maxWaiting) {
    return HubSnapshot.capture(path.toString(), buffer, layout, maxWaiting, inspection, layoutVersion);
  }

  @Override
  public String toString() {
    return "HubFile{" + path + ", " + HubSnapshot.bytes(layout.totalSize) + "}";
  }
}
