package dev.spoke.examples.site;

import dev.spoke.shm.HubSnapshot;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Samples the hub's slot pool every {@link #PERIOD_MICROS} µs and keeps, per size class, the most
 * slots it saw in use at once. A sampled peak: a slot that is taken and freed between two samples is
 * not seen, so the true peak may be higher, never lower.
 *
 * <p>Thread-safe.
 */
final class PoolWatch {

  static final long PERIOD_MICROS = 500;

  private final Supplier<HubSnapshot> snapshots;
  private final AtomicIntegerArray peaks;
  private final Thread thread;
  private volatile boolean stopped;
  private volatile int samples;

  private PoolWatch(Supplier<HubSnapshot> snapshots, int classes) {
    this.snapshots = snapshots;
    this.peaks = new AtomicIntegerArray(classes);
    this.thread = new Thread(this::run, "pool-watch");
    this.thread.setDaemon(true);
  }

  static PoolWatch start(Supplier<HubSnapshot> snapshots) {
    PoolWatch w = new PoolWatch(snapshots, snapshots.get().pool.size());
    w.thread.start();
    return w;
  }

  private void run() {
    while (!stopped) {
      sample();
      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(PERIOD_MICROS));
    }
  }

  private void sample() {
    List<HubSnapshot.ClassUsage> pool = snapshots.get().pool;
    for (int c = 0; c < pool.size(); c++) {
      peaks.accumulateAndGet(c, pool.get(c).inUse(), Math::max);
    }
    samples++;
  }

  /** The most slots of class {@code c} seen in use at once. */
  int peak(int c) {
    return peaks.get(c);
  }

  int samples() {
    return samples;
  }

  /** Stops sampling; waits for the sampler to finish its last sample. Idempotent. */
  void stop() {
    stopped = true;
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
