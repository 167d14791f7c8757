package dev.spoke.internal;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What a serializing executor did with the tasks of one test: the order they ran in, how many ran, and
 * whether two ever ran at once. Each task stays inside for a moment, so that a second task run
 * concurrently finds it there.
 *
 * <p>Thread-safe.
 */
final class RunLog {

  /** How long a task stays inside, in spin-wait hints: long enough to be caught, short enough for many samples. */
  private static final int STAY = 16;

  private final AtomicIntegerArray order;
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger finished = new AtomicInteger();
  private final AtomicBoolean inside = new AtomicBoolean();
  private volatile boolean overlapped;

  RunLog(int capacity) {
    order = new AtomicIntegerArray(capacity);
  }

  /** A task that records {@code number} when it runs. */
  Runnable task(int number) {
    return () -> ran(number);
  }

  /** Records that the task numbered {@code number} runs now; call it from the task itself. */
  void ran(int number) {
    boolean entered = inside.compareAndSet(false, true);
    if (!entered) {
      overlapped = true;
    }
    int slot = started.getAndIncrement();
    if (slot < order.length()) {
      order.set(slot, number);
    }
    for (int i = 0; i < STAY; i++) {
      Thread.onSpinWait();
    }
    if (entered) {
      inside.set(false);
    }
    finished.incrementAndGet();
  }

  /** The number of the {@code index}th task to run, or 0 if fewer ran. */
  int numberAt(int index) {
    return order.get(index);
  }

  /** How many tasks have finished. */
  int finished() {
    return finished.get();
  }

  /** True if two tasks ever ran at the same time. */
  boolean overlapped() {
    return overlapped;
  }

  /**
   * Waits until {@code count} tasks have finished or {@code timeoutNanos} pass, for tasks that run on
   * another executor's threads. Returns how many finished.
   */
  int awaitFinished(int count, long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    int n;
    while ((n = finished.get()) < count && System.nanoTime() - deadline < 0) {
      Thread.yield(); // the tasks need this CPU more than we do
    }
    return n;
  }
}
