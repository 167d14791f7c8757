package dev.spoke.host;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Spoke's assertions that failed in plugin processes, as the plugins' output reported them, recorded
 * while this host runs Spoke's assertions (as its tests do; its Java plugins then run them too).
 *
 * <p>A plugin's receive thread survives a failed assertion: it logs the error and goes on, and the host
 * forwards the log entry. Only the log would show a broken invariant in a plugin, and a test whose calls
 * still ended well would pass. So the host's tests take this record after each test and fail on
 * anything in it. A host without Spoke's assertions records nothing.
 *
 * <p>Thread-safe; holds up to {@value #LIMIT} entries between two takes and counts the rest.
 */
final class PluginAssertionFailures {

  static final int LIMIT = 20;
  private static final boolean RECORDING = PluginAssertionFailures.class.desiredAssertionStatus();
  private static final String ASSERTION_ERROR = "java.lang.AssertionError";

  private static final Queue<String> entries = new ConcurrentLinkedQueue<>();
  /** Entries in the queue or about to be: what bounds it. */
  private static final AtomicInteger held = new AtomicInteger();
  /** Entries left out because the queue was full. */
  private static final AtomicInteger dropped = new AtomicInteger();

  private PluginAssertionFailures() {}

  /** A forwarded log entry of a plugin: recorded if it reports a failed assertion of Spoke's code. */
  static void noteEntry(String logger, String text) {
    if (RECORDING && failedInSpoke(text)) {
      if (held.incrementAndGet() <= LIMIT) {
        entries.add(logger + ": " + text);
      } else {
        held.decrementAndGet();
        dropped.incrementAndGet();
      }
    }
  }

  /**
   * True if {@code text} holds an {@link AssertionError} thrown in Spoke's code: its first stack frame
   * is in {@code dev.spoke}. An assertion error of the plugin's own code is the plugin's business.
   */
  static boolean failedInSpoke(String text) {
    for (int at = text.indexOf(ASSERTION_ERROR); at >= 0; at = text.indexOf(ASSERTION_ERROR, at + 1)) {
      int frame = text.indexOf("\tat ", at);
      if (frame >= 0 && text.startsWith("dev.spoke.", frame + 4)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Takes what was recorded since the last take: the entries, then a line with the count of those left
   * out while {@value #LIMIT} waited. Empty if none. (An entry recorded during the take may be left for
   * the next: each one is a failure either way, none is counted twice.)
   */
  static List<String> take() {
    List<String> taken = new ArrayList<>();
    String e;
    while ((e = entries.poll()) != null) {
      taken.add(e);
    }
    held.addAndGet(-taken.size());
    int left = dropped.getAndSet(0);
    if (left > 0) {
      taken.add("… and " + left + " more");
    }
    return taken;
  }
}
