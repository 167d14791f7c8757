package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/** How a plugin's output lines become the host's log entries: logger, level, message. */
class PluginOutputTest {

  private final List<String> entries = new ArrayList<>();

  private PluginOutput.Forwarder forwarder(boolean stderr) {
    return new PluginOutput.Forwarder("search", stderr, (logger, level, message) -> entries.add(level + " " + logger + " | " + message));
  }

  @Test
  void anEntryInTheLaunchFormatKeepsItsLoggerAndLevelAndLosesItsPrefix() {
    PluginOutput.Forwarder f = forwarder(true);
    f.line("INFO dev.spoke.peer.SpokePeer - plugin 'search' attached");
    f.line("[spoke-search-2] WARN dev.example.Index - slow segment merge: 2 s");
    f.line("[ERROR] dev.example.Index$Merger - merge failed");
    f.line("DEBUG  my-plugin.Loader - padded as Logback pads");
    f.flush();
    assertEquals(List.of(
        "INFO spoke.plugin.search.dev.spoke.peer.SpokePeer | plugin 'search' attached",
        "WARN spoke.plugin.search.dev.example.Index | slow segment merge: 2 s",
        "ERROR spoke.plugin.search.dev.example.Index$Merger | merge failed",
        "DEBUG spoke.plugin.search.my-plugin.Loader | padded as Logback pads"), entries);
  }

  @Test
  void otherLinesGoUnderThePluginsLoggerAtTheLevelTheyShow() {
    PluginOutput.Forwarder out = forwarder(false);
    out.line("processed 38 pages");
    out.flush();
    PluginOutput.Forwarder err = forwarder(true);
    err.line("OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes");
    err.line("SEVERE: the plugin failed");
    err.line("not.an.Entry - a dash alone does not make an entry");
    err.flush();
    assertEquals(List.of(
        "INFO spoke.plugin.search | processed 38 pages",
        "WARN spoke.plugin.search | OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes",
        "ERROR spoke.plugin.search | SEVERE: the plugin failed",
        "WARN spoke.plugin.search | not.an.Entry - a dash alone does not make an entry"), entries);
  }

  @Test
  void aStackTraceThatArrivesWithItsEntryIsPartOfIt() {
    PluginOutput.Forwarder f = forwarder(true);
    f.line("ERROR dev.example.Index - call failed");
    f.line("java.lang.IllegalStateException: boom");
    f.line("\tat dev.example.Index.merge(Index.java:42)");
    f.line("Caused by: java.io.IOException: disk full");
    f.line("\t... 12 more");
    f.line("INFO dev.example.Index - next");
    f.flush();
    assertEquals(List.of(
        "ERROR spoke.plugin.search.dev.example.Index | call failed\njava.lang.IllegalStateException: boom"
            + "\n\tat dev.example.Index.merge(Index.java:42)\nCaused by: java.io.IOException: disk full\n\t... 12 more",
        "INFO spoke.plugin.search.dev.example.Index | next"), entries);
  }

  @Test
  void aStackTraceWrittenAMomentAfterItsMessageIsStillPartOfIt() throws Exception {
    // A logger writes the message and then its trace in separate writes: the pump reads the first line
    // with nothing else waiting yet, and must not send the entry out before the trace comes.
    java.io.PipedOutputStream plugin = new java.io.PipedOutputStream();
    java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
        new java.io.PipedInputStream(plugin), java.nio.charset.StandardCharsets.UTF_8));
    List<String> kept = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> out = new java.util.concurrent.CopyOnWriteArrayList<>();
    PluginOutput.Forwarder f = new PluginOutput.Forwarder("search", true,
        (logger, level, message) -> out.add(level + " " + logger + " | " + message));
    Thread pump = new Thread(() -> {
      try {
        PluginOutput.forward(r, f, kept::add, TimeUnit.MILLISECONDS.toNanos(500));
      } catch (java.io.IOException e) {
        throw new AssertionError(e);
      }
    }, "test-pump");
    pump.start();
    plugin.write("WARN dev.example.Index - slow merge\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    plugin.flush();
    dev.spoke.testing.Conditions.waitUntil("the pump read the first line", 10, () -> kept.size() == 1);
    Thread.sleep(5); // NOTE: the gap between the two writes under test, well within the pump's 500 ms
    plugin.write("java.lang.IllegalStateException: boom\n\tat dev.example.Index.merge(Index.java:42)\n"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    plugin.flush();
    plugin.close();
    pump.join(10_000);
    assertEquals(List.of("WARN spoke.plugin.search.dev.example.Index | slow merge\njava.lang.IllegalStateException: "
        + "boom\n\tat dev.example.Index.merge(Index.java:42)"), out);
  }

  @Test
  void aContinuationThatComesLaterKeepsTheLoggerAndLevelOfItsEntry() {
    PluginOutput.Forwarder f = forwarder(true);
    f.line("ERROR dev.example.Index - call failed");
    f.flush(); // nothing else was waiting: the entry went out alone
    f.line("\tat dev.example.Index.merge(Index.java:42)");
    f.flush();
    assertEquals(List.of(
        "ERROR spoke.plugin.search.dev.example.Index | call failed",
        "ERROR spoke.plugin.search.dev.example.Index | \tat dev.example.Index.merge(Index.java:42)"), entries);
  }

  @Test
  void aPluginCannotLogUnderAnotherPluginsOrTheHostsLoggers() {
    PluginOutput.Forwarder f = forwarder(true);
    f.line("ERROR dev.spoke.host.SpokeHost - the hub is corrupt");
    f.flush();
    assertEquals(List.of("ERROR spoke.plugin.search.dev.spoke.host.SpokeHost | the hub is corrupt"), entries);
  }

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
