package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** The level a forwarded plugin line is logged at. */
class PluginOutputTest {

  private static Level stderr(String line) {
    return PluginOutput.levelOf(line, null, true);
  }

  @Test
  void aLevelWordNearTheStartSetsTheLevel() {
    assertEquals(Level.ERROR, stderr("[main] ERROR dev.example.Minifier - cannot parse page.html"));
    assertEquals(Level.WARN, stderr("2026-11-21 10:00:00.123 WARN  [main] d.e.Images - slow decode"));
    assertEquals(Level.INFO, stderr("10:00:00.123 [worker-1] INFO  d.e.Runner - started"));
    assertEquals(Level.DEBUG, stderr("[main] DEBUG x - y"));
    assertEquals(Level.TRACE, stderr("[main] TRACE x - y"));
    assertEquals(Level.ERROR, stderr("SEVERE: the plugin failed"));
    assertEquals(Level.WARN, stderr("WARNING: An illegal reflective access operation has occurred"));
    assertEquals(Level.ERROR, stderr("FATAL out of memory"));
  }

  @Test
  void theFirstLevelWordWinsAndWordsInsideNamesDoNot() {
    assertEquals(Level.INFO, stderr("[main] INFO x - an ERROR in the input was skipped"));
    assertEquals(Level.WARN, stderr("config.ERROR_CODE=3"), "no level word: stderr's default");
    assertEquals(Level.INFO, PluginOutput.levelOf("log.ERROR is a field name", null, false));
  }

  @Test
  void linesWithoutALevelAreInfoFromStdoutAndWarnFromStderr() {
    assertEquals(Level.INFO, PluginOutput.levelOf("processed 38 pages", null, false));
    assertEquals(Level.WARN, stderr("OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes"));
    assertEquals(Level.WARN, stderr("echo plugin: refusing to start"));
  }

  @Test
  void aStackTraceKeepsTheLevelOfTheLineItBelongsTo() {
    Level first = stderr("[main] ERROR x - call failed");
    assertEquals(Level.ERROR, first);
    assertEquals(Level.ERROR, PluginOutput.levelOf("java.lang.IllegalStateException: boom", first, true),
        "the exception's own line has no level word but no indent either: stderr's default would be WARN");
    assertEquals(Level.ERROR, PluginOutput.levelOf("\tat dev.example.Minifier.minify(Minifier.java:42)", first, true));
    assertEquals(Level.ERROR, PluginOutput.levelOf("Caused by: java.io.IOException: disk full", first, true));
    assertEquals(Level.ERROR, PluginOutput.levelOf("\t... 12 more", first, true));
    assertEquals(Level.WARN, PluginOutput.levelOf("java.lang.IllegalStateException: boom", null, true),
        "with no line before it, an exception line is stderr's default");
    assertEquals(Level.INFO, PluginOutput.levelOf("[main] INFO x - next", first, true), "a new entry sets its own");
  }
}
