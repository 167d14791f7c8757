package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The record of plugins' failed assertions: what counts as Spoke's, and its bound. */
class PluginAssertionFailuresTest {

  private static final String SPOKES = "receive loop failed; continuing\njava.lang.AssertionError: ring owned by another thread"
      + "\n\tat dev.spoke.shm.RingConsumer.deliver(RingConsumer.java:9)";

  @Test
  void aFullRecordKeepsItsFirstEntriesAndCountsTheRestUntilTaken() {
    assertEquals(List.of(), PluginAssertionFailures.take(), "nothing recorded before");
    for (int i = 0; i < PluginAssertionFailures.LIMIT + 3; i++) {
      PluginAssertionFailures.noteEntry("spoke.plugin.p" + i, SPOKES);
    }
    PluginAssertionFailures.noteEntry("spoke.plugin.theirs", "java.lang.AssertionError: theirs\n\tat com.example.A.b(A.java:1)");
    List<String> taken = PluginAssertionFailures.take();
    assertEquals(PluginAssertionFailures.LIMIT + 1, taken.size(), taken.toString());
    assertTrue(taken.get(0).startsWith("spoke.plugin.p0: receive loop failed"), taken.get(0));
    assertEquals("… and 3 more", taken.get(PluginAssertionFailures.LIMIT));
    assertEquals(List.of(), PluginAssertionFailures.take(), "a take empties the record");
    PluginAssertionFailures.noteEntry("spoke.plugin.again", SPOKES);
    assertEquals(1, PluginAssertionFailures.take().size(), "room again after a take");
  }
}
