package dev.spoke.internal;

import java.lang.ref.Cleaner;

/**
 * The one cleaner of the process for transport buffers kept by zero-copy messages: it frees what the
 * application dropped without releasing it. Created on first use, so processes that never receive a
 * message in place start no thread for it.
 *
 * <p>Its thread is a daemon in the root thread group, not the group of whichever application thread
 * happened to create it: a runner that waits for an application's threads to end (Maven's {@code
 * exec:java}) does not wait for it. Internal: not for applications.
 */
public final class BufferCleaner {

  private BufferCleaner() {}

  /** The cleaner. */
  public static Cleaner get() {
    return Holder.CLEANER;
  }

  private static final class Holder {
    static final Cleaner CLEANER = Cleaner.create(r -> {
      ThreadGroup root = Thread.currentThread().getThreadGroup();
      while (root.getParent() != null) {
        root = root.getParent();
      }
      Thread t = new Thread(root, r, "spoke-buffer-cleaner");
      t.setDaemon(true);
      return t;
    });
  }
}
