package dev.spoke.shm;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Whether the JVM collected garbage between two looks of a receive loop's standby, from its collectors'
 * counts. A collection stops every thread, and the time a watched thread spent stopped in application
 * code is no time it ran that code: a G1 pause of a few ms at a million calls a second otherwise found
 * the leader inside a callback it had entered before the last look, and took it over.
 *
 * <p>Not thread-safe: one per standby, used by that thread only.
 */
final class CollectionPauses {

  private final List<GarbageCollectorMXBean> collectors = ManagementFactory.getGarbageCollectorMXBeans();
  private long seen = count();

  /** True if a collection began since the previous call (or since this was made). */
  boolean sinceLastLook() {
    long c = count();
    boolean paused = c != seen;
    seen = c;
    return paused;
  }

  private long count() {
    long sum = 0;
    for (GarbageCollectorMXBean b : collectors) {
      sum += Math.max(0, b.getCollectionCount()); // -1: this collector does not count
    }
    return sum;
  }
}
