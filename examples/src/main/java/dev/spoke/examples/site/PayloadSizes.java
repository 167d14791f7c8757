package dev.spoke.examples.site;

import dev.spoke.shm.SizeClass;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts messages by the hub size class that carries them: the smallest whose slots hold the
 * message. Messages of up to {@value #INLINE_BYTES} bytes travel inside the descriptor, in no slot.
 * (A message's frame may add a few bytes of call metadata; the demo's calls send none.)
 *
 * <p>Thread-safe.
 */
final class PayloadSizes {

  /** What a descriptor carries inline (see docs/HUB-LAYOUT.md). */
  static final int INLINE_BYTES = 20;

  private final List<SizeClass> classes;
  private final AtomicLongArray counts;
  private final AtomicLongArray bytes;

  PayloadSizes(List<SizeClass> classes) {
    this.classes = List.copyOf(classes);
    this.counts = new AtomicLongArray(classes.size() + 1);
    this.bytes = new AtomicLongArray(classes.size() + 1);
  }

  void record(int size) {
    int index = indexOf(size);
    counts.incrementAndGet(index);
    bytes.addAndGet(index, size);
  }

  /** 0 for inline, 1 + i for size class i; past the last class for what no slot holds. */
  private int indexOf(int size) {
    if (size <= INLINE_BYTES) {
      return 0;
    }
    for (int i = 0; i < classes.size(); i++) {
      if (size <= classes.get(i).slotSize()) {
        return i + 1;
      }
    }
    return classes.size();
  }

  List<SizeClass> classes() {
    return classes;
  }

  long inlineMessages() {
    return counts.get(0);
  }

  /** Messages carried by size class {@code c}. */
  long messages(int c) {
    return counts.get(c + 1);
  }

  /** Bytes carried by size class {@code c}. */
  long bytes(int c) {
    return bytes.get(c + 1);
  }
}
