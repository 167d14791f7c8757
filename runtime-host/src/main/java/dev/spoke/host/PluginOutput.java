package dev.spoke.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Forwards a plugin process's stdout and stderr, line by line, to SLF4J under the logger {@code
 * spoke.plugin.<name>}, and keeps the last lines of stderr for error messages.
 *
 * <p>Each line keeps the level it was written at, as far as its text shows: a level word near its
 * start ({@code ERROR}, {@code WARN}, {@code SEVERE}… as SLF4J, Log4j, Logback and java.util.logging
 * print them) sets it; a continuation line (a stack trace's {@code at …}, {@code Caused by:}) keeps the
 * level of the line before; any other line is INFO from stdout and WARN from stderr.
 *
 * <p>Thread-safe.
 */
final class PluginOutput {

  private static final int TAIL_LINES = 20;
  /** A level word as log formats print it, within the first characters of a line. */
  private static final Pattern LEVEL_WORD =
      Pattern.compile("(?<![\\w.-])(TRACE|FINEST|FINER|FINE|DEBUG|INFO|CONFIG|WARN|WARNING|ERROR|SEVERE|FATAL)(?![\\w.-])");
  private static final int LEVEL_SEARCH_CHARS = 120;
  /** The first line of a printed exception: its class name, then perhaps a message. */
  private static final Pattern EXCEPTION_LINE =
      Pattern.compile("([a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error|Throwable)(:|$)");

  private final Logger log;
  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
  private final CountDownLatch closed = new CountDownLatch(2);

  PluginOutput(String pluginName, Process process) {
    this.log = LoggerFactory.getLogger("spoke.plugin." + pluginName);
    pump(process.getInputStream(), false, pluginName + "-stdout");
    pump(process.getErrorStream(), true, pluginName + "-stderr");
  }

  private void pump(InputStream in, boolean stderr, String threadName) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        Level previous = null;
        while ((line = r.readLine()) != null) {
          Level level = levelOf(line, previous, stderr);
          previous = level;
          log.atLevel(level).log("{}", line);
          if (stderr) {
            synchronized (stderrTail) {
              stderrTail.add(line);
              if (stderrTail.size() > TAIL_LINES) {
                stderrTail.poll();
              }
            }
          }
        }
      } catch (IOException e) {
        // the process went away
      } finally {
        closed.countDown();
      }
    }, "spoke-plugin-" + threadName);
    t.setDaemon(true);
    t.start();
  }

  /**
   * The level a plugin wrote {@code line} at, as far as its text shows; {@code previous} is the level of
   * the stream's line before, or null.
   */
  static Level levelOf(String line, Level previous, boolean stderr) {
    if (previous != null && isContinuation(line)) {
      return previous;
    }
    Matcher m = LEVEL_WORD.matcher(line);
    m.region(0, Math.min(line.length(), LEVEL_SEARCH_CHARS));
    if (m.find()) {
      switch (m.group(1)) {
        case "TRACE": case "FINEST": case "FINER": return Level.TRACE;
        case "FINE": case "DEBUG": return Level.DEBUG;
        case "INFO": case "CONFIG": return Level.INFO;
        case "WARN": case "WARNING": return Level.WARN;
        default: return Level.ERROR;
      }
    }
    return stderr ? Level.WARN : Level.INFO;
  }

  private static boolean isContinuation(String line) {
    return line.startsWith("\t") || line.startsWith("    at ") || line.startsWith("Caused by: ")
        || line.startsWith("Suppressed: ") || EXCEPTION_LINE.matcher(line).lookingAt();
  }

  /** Waits (up to {@code millis}) until both streams reached their end, so the last lines are in. */
  void awaitEnd(long millis) {
    try {
      closed.await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  List<String> stderrTail() {
    synchronized (stderrTail) {
      return new ArrayList<>(stderrTail);
    }
  }

  /** The stderr tail as an indented block for messages, or a note that there was none. */
  String describeStderr() {
    List<String> lines = stderrTail();
    if (lines.isEmpty()) {
      return "; it wrote nothing to stderr";
    }
    return "; the last lines it wrote to stderr:\n    " + String.join("\n    ", lines);
  }
}
