package dev.spoke.shm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * How a hub is sized and where it lives. The defaults hold 32 plugins with rings of 256 descriptors and
 * a pool of 1 KiB x 1024, 16 KiB x 256, 256 KiB x 32, 4 MiB x 8 and 16 MiB x 4 (about 109 MiB, touched
 * only as used).
 *
 * <p>Immutable; build with {@link #builder()}.
 */
public final class HubConfig {

  /** The default size classes. */
  public static final List<SizeClass> DEFAULT_SIZE_CLASSES = List.of(
      SizeClass.of(1 << 10, 1024),
      SizeClass.of(16 << 10, 256),
      SizeClass.of(256 << 10, 32),
      SizeClass.of(4 << 20, 8),
      SizeClass.of(16 << 20, 4));

  private final int maxPeers;
  private final int ringCapacity;
  private final List<SizeClass> sizeClasses;
  private final Path directory;
  private final boolean sealedMemory;
  private final IdleStrategy idleStrategy;
  private final Duration sendTimeout;
  private final Duration heartbeatInterval;
  private final Duration heartbeatTimeout;
  private final Duration parkLimit;
  private final Duration hungAfter;
  private final Duration handOffAfter;

  private HubConfig(Builder b) {
    this.maxPeers = b.maxPeers;
    this.ringCapacity = b.ringCapacity;
    this.sizeClasses = Collections.unmodifiableList(new ArrayList<>(b.sizeClasses));
    this.directory = b.directory;
    this.sealedMemory = b.sealedMemory;
    this.idleStrategy = b.idleStrategy;
    this.sendTimeout = b.sendTimeout;
    this.heartbeatInterval = b.heartbeatInterval;
    this.heartbeatTimeout = b.heartbeatTimeout;
    this.parkLimit = b.parkLimit;
    this.hungAfter = b.hungAfter;
    this.handOffAfter = b.handOffAfter;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: see the class comment and the README's table. */
  public static HubConfig defaults() {
    return builder().build();
  }

  /** Plugins the hub can hold at once. */
  public int maxPeers() {
    return maxPeers;
  }

  /** Descriptors per ring, each direction of each plugin. */
  public int ringCapacity() {
    return ringCapacity;
  }

  /** Size classes, smallest first. */
  public List<SizeClass> sizeClasses() {
    return sizeClasses;
  }

  /** The directory for hub files, or null for the default (see {@link HubFile#defaultDirectory()}). */
  public Path directory() {
    return directory;
  }

  /**
   * True (the default) if the hub lives in anonymous memory sealed against shrinking and growing (Linux
   * {@code memfd_create} with {@code F_SEAL_SHRINK | F_SEAL_GROW}), which no process can truncate and
   * which goes with the host, with a link to it in {@link #directory()}; false for a plain file there.
   * Where the kernel offers no such memory, the hub is a plain file either way. A plain file can be
   * truncated or replaced by any process of the user: the host then declares the hub lost.
   */
  public boolean sealedMemory() {
    return sealedMemory;
  }

  /** How receive threads wait when there is nothing to read. */
  public IdleStrategy idleStrategy() {
    return idleStrategy;
  }

  /**
   * The longest a send waits for room (a free slot, a free ring entry) when the call has no deadline of
   * its own. Waits never go on forever.
   */
  public Duration sendTimeout() {
    return sendTimeout;
  }

  /**
   * How often the host and the peers write their heartbeats and check each other's entries. A plugin
   * learns of its host's death at once whatever this is where it can wait on the host's process (a
   * pidfd: Linux 5.3 and later), and within this interval where it cannot; the interval also bounds how
   * soon a host notices a plugin it did not launch has detached or died, and is the one periodic wake-up
   * of an idle plugin.
   */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  /**
   * How old a heartbeat may get before its writer counts as hung. The host reclaims a plugin it did not
   * launch whose heartbeat is older; a plugin whose host's heartbeat is older only logs it, and leaves
   * when the host process ends.
   */
  public Duration heartbeatTimeout() {
    return heartbeatTimeout;
  }

  /**
   * The longest a parked receive loop sleeps before it looks at its rings anyway. Doorbells wake it
   * when frames arrive; this is only a safety net. A loop that keeps waking to nothing doubles it, up to
   * eight times this, so an idle plugin wakes rarely.
   */
  public Duration parkLimit() {
    return parkLimit;
  }

  /**
   * How long a plugin may leave frames unread in its ring before the host declares it hung: its calls
   * fail with UNAVAILABLE naming it, the hub reclaims it, and its process is stopped and handled by its
   * restart policy. This bounds every call to a plugin that stopped reading, deadline or not. A plugin
   * reads its ring on its receive loop, which handlers on worker threads (the default) never hold up.
   */
  public Duration hungAfter() {
    return hungAfter;
  }

  /**
   * How long application code may run inline on a thread that delivers frames (a handler or callback
   * run where its frame arrived, the default) before another thread takes over delivering, so that
   * other calls wait no longer than about this behind a handler that blocks or computes: its thread is
   * taken over once it has run the code this long, and within twice this (the watchdog looks when the
   * first thread could be due, not on a fixed beat), or within eight times this if it is the first to
   * get stuck after a long run of calls that all returned at once (the watchdog of such a busy loop looks
   * only every four times this, to leave its cores to the calls). Time the JVM spent collecting
   * garbage does not count, nor does time the thread spent waiting for a core (it is taken over once it blocks, or has
   * computed a quarter of this more), and on a machine whose every core is busy the watchdog (which
   * yields to spinning threads) may look a few time slices late. Blocking Spoke calls hand over at
   * once, whatever this is.
   */
  public Duration handOffAfter() {
    return handOffAfter;
  }

  /** The largest payload one frame can carry: the largest slot. */
  public int maxPayloadLength() {
    return sizeClasses.get(sizeClasses.size() - 1).slotSize();
  }

  /**
   * The sentence an error about a payload of {@code payloadLength} bytes, over the hub's {@code limit},
   * ends with: the host's setting that raises the limit, with a size class that would hold it.
   */
  static String largerSlotsAdvice(long payloadLength, int limit) {
    long size = Long.highestOneBit(Math.max(64, payloadLength - 1)) << 1; // the next power of two
    if (size > HubLayout.MAX_TOTAL_SIZE / 2) {
      return "the hub's slots are " + HubSnapshot.bytes(limit) + " at most, and one of " + HubSnapshot.bytes(payloadLength)
          + " would not fit in a hub (2 GiB); send it in parts (a stream)";
    }
    int mib = (int) Math.max(1, size >> 20);
    String slot = size >= (1 << 20) ? mib + " << 20" : String.valueOf(size);
    return "the host allows larger payloads with a larger size class, such as SpokeHost.builder().hubConfig("
        + "HubConfig.builder().addSizeClass(SizeClass.of(" + slot + ", 2)).build()) for " + HubSnapshot.bytes(size)
        + " (the largest now is " + HubSnapshot.bytes(limit) + "; each slot takes its size of memory once used)";
  }

  /** A builder holding this configuration, to change some of it. */
  public Builder toBuilder() {
    return new Builder()
        .maxPeers(maxPeers)
        .ringCapacity(ringCapacity)
        .sizeClasses(sizeClasses)
        .directory(directory)
        .sealedMemory(sealedMemory)
        .idleStrategy(idleStrategy)
        .sendTimeout(sendTimeout)
        .heartbeatInterval(heartbeatInterval)
        .heartbeatTimeout(heartbeatTimeout)
        .parkLimit(parkLimit)
        .hungAfter(hungAfter)
        .handOffAfter(handOffAfter);
  }

  @Override
  public String toString() {
    return "HubConfig{peers=" + maxPeers + ", ring=" + ringCapacity + ", classes=" + sizeClasses
        + ", idle=" + idleStrategy + "}";
  }

  /** Builds a {@link HubConfig}. */
  public static final class Builder {
    private int maxPeers = 32;
    private int ringCapacity = 256;
    private List<SizeClass> sizeClasses = DEFAULT_SIZE_CLASSES;
    private Path directory;
    private boolean sealedMemory = true;
    private IdleStrategy idleStrategy = IdleStrategy.BALANCED;
    private Duration sendTimeout = Duration.ofSeconds(30);
    private Duration heartbeatInterval = Duration.ofSeconds(2);
    private Duration heartbeatTimeout = Duration.ofSeconds(10);
    private Duration parkLimit = Duration.ofSeconds(1);
    private Duration hungAfter = Duration.ofSeconds(10);
    private Duration handOffAfter = Duration.ofNanos(500_000);

    private Builder() {}

    /** Plugins the hub can hold at once, 1 to 253. Default 32. */
    public Builder maxPeers(int n) {
      if (n < 1 || n > SlotDescriptor.MAX_PEER_ID + 1) {
        throw new IllegalArgumentException("maxPeers must be in [1, " + (SlotDescriptor.MAX_PEER_ID + 1) + "], got " + n);
      }
      this.maxPeers = n;
      return this;
    }

    /** Descriptors per ring, a power of two. Default 256. */
    public Builder ringCapacity(int n) {
      RingDescriptor.checkCapacity(n);
      this.ringCapacity = n;
      return this;
    }

    /** The size classes; sorted by slot size, which must all differ. At most 16. */
    public Builder sizeClasses(List<SizeClass> classes) {
      Objects.requireNonNull(classes, "classes");
      if (classes.isEmpty() || classes.size() > HubHeaderDescriptor.MAX_SIZE_CLASSES) {
        throw new IllegalArgumentException("between 1 and 16 size classes, got " + classes.size());
      }
      List<SizeClass> sorted = new ArrayList<>(classes);
      sorted.sort((a, b) -> Integer.compare(a.slotSize(), b.slotSize()));
      for (int i = 1; i < sorted.size(); i++) {
        if (sorted.get(i).slotSize() == sorted.get(i - 1).slotSize()) {
          throw new IllegalArgumentException("two size classes of " + sorted.get(i).slotSize() + " bytes");
        }
      }
      this.sizeClasses = sorted;
      return this;
    }

    /** The size classes; see {@link #sizeClasses(List)}. */
    public Builder sizeClasses(SizeClass... classes) {
      return sizeClasses(List.of(classes));
    }

    /**
     * One more size class, beside those set so far (the defaults unless changed): the way to carry
     * payloads larger than 16 MiB, {@code addSizeClass(SizeClass.of(64 << 20, 2))}.
     */
    public Builder addSizeClass(SizeClass sizeClass) {
      List<SizeClass> more = new ArrayList<>(sizeClasses);
      more.add(Objects.requireNonNull(sizeClass, "sizeClass"));
      return sizeClasses(more);
    }

    /** Where hub files go; default: a directory only this user can read under /dev/shm. */
    public Builder directory(Path dir) {
      this.directory = dir;
      return this;
    }

    /** See {@link HubConfig#sealedMemory()}. Default true. */
    public Builder sealedMemory(boolean sealed) {
      this.sealedMemory = sealed;
      return this;
    }

    /**
     * How receive threads wait; default BALANCED. A JVM that may use one processor only parks its loop
     * as soon as it is idle, whatever the strategy (see {@link IdleStrategy}).
     */
    public Builder idleStrategy(IdleStrategy strategy) {
      this.idleStrategy = Objects.requireNonNull(strategy, "strategy");
      return this;
    }

    /** See {@link HubConfig#sendTimeout()}. Default 30 s. */
    public Builder sendTimeout(Duration timeout) {
      this.sendTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** See {@link HubConfig#heartbeatInterval()}. Default 2 s. */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** See {@link HubConfig#heartbeatTimeout()}. Default 10 s. */
    public Builder heartbeatTimeout(Duration timeout) {
      this.heartbeatTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** See {@link HubConfig#parkLimit()}. Default 1 s. */
    public Builder parkLimit(Duration limit) {
      this.parkLimit = Objects.requireNonNull(limit, "limit");
      return this;
    }

    /** See {@link HubConfig#hungAfter()}. Default 10 s. */
    public Builder hungAfter(Duration after) {
      Objects.requireNonNull(after, "after");
      if (after.isNegative() || after.isZero()) {
        throw new IllegalArgumentException("hungAfter must be positive, got " + after);
      }
      this.hungAfter = after;
      return this;
    }

    /** See {@link HubConfig#handOffAfter()}. Default 500 µs. */
    public Builder handOffAfter(Duration after) {
      Objects.requireNonNull(after, "after");
      if (after.isNegative() || after.isZero()) {
        throw new IllegalArgumentException("handOffAfter must be positive, got " + after);
      }
      this.handOffAfter = after;
      return this;
    }

    /** The configuration. */
    public HubConfig build() {
      return new HubConfig(this);
    }
  }
}
