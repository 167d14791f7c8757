package dev.spoke.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Forwards a plugin process's stdout and stderr to the host's SLF4J, each log entry once, and keeps the
 * last lines of stderr for error messages.
 *
 * <p>A line in the format Java plugins are started with ({@link PluginSpec#LOG_FORMAT_OPTIONS}: {@code
 * LEVEL logger - message}, the level perhaps in brackets, perhaps after a {@code [thread]}) is logged at
 * its own level under {@code spoke.plugin.<plugin>.<its logger>}, with only its message: the host's
 * backend adds its own date, level and name, so nothing is printed twice, and {@code spoke.plugin.<plugin>}
 * configures everything a plugin writes. Any other line is logged under {@code spoke.plugin.<plugin>} at
 * the level its text shows ({@code ERROR}, {@code WARN}, {@code SEVERE}… near its start, as SLF4J,
 * Log4j, Logback and java.util.logging print them), else INFO from stdout and WARN from stderr. A stack
 * trace's lines ({@code at …}, {@code Caused by: …}) that arrive with the entry they follow (within
 * 20 ms of the line before) are logged with it as one entry, at its level.
 *
 * <p>Thread-safe.
 */
final class PluginOutput {

  private static final int TAIL_LINES = 20;
  /** How long a pump waits for more lines of an entry (its stack trace) before the entry goes out. */
  private static final int ENTRY_QUIET_MILLIS = 20;
  /** An entry joins at most this many continuation lines, so one endless trace cannot hold the pump. */
  private static final int MAX_JOINED_LINES = 500;
  /** A level word as log formats print it, within the first characters of a line. */
  private static final Pattern LEVEL_WORD =
      Pattern.compile("(?<![\\w.-])(TRACE|FINEST|FINER|FINE|DEBUG|INFO|CONFIG|WARN|WARNING|ERROR|SEVERE|FATAL)(?![\\w.-])");
  private static final int LEVEL_SEARCH_CHARS = 120;
  /** The first line of a printed exception: its class name, then perhaps a message. */
  private static final Pattern EXCEPTION_LINE =
      Pattern.compile("([a-zA-Z_$][\\w$]*\\.)+[A-Z][\\w$]*(Exception|Error|Throwable)(:|$)");
  /**
   * The line format plugins are started with: {@code LEVEL logger - message}, as slf4j-simple prints it
   * with {@link PluginSpec#LOG_FORMAT_OPTIONS}; a {@code [thread] } before it or brackets around the
   * level (slf4j-simple's other settings) are accepted too.
   */
  private static final Pattern ENTRY = Pattern.compile(
      "(?:\\[[^\\]]*\\] )?\\[?(TRACE|DEBUG|INFO|WARN|ERROR)\\]? {1,2}([A-Za-z_$][\\w$]*(?:[.$-][\\w$]+)*) - (.*)",
      Pattern.DOTALL);

  /** Where forwarded entries go: SLF4J, or a test's list. */
  interface Sink {
    void log(String logger, Level level, String message);
  }

  /** The sink of a real host: SLF4J loggers, made once per name. */
  private static final class Slf4jSink implements Sink {
    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

    @Override
    public void log(String logger, Level level, String message) {
      loggers.computeIfAbsent(logger, LoggerFactory::getLogger).atLevel(level).log(message);
    }
  }

  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
  private final CountDownLatch closed = new CountDownLatch(2);

  PluginOutput(String pluginName, Process process) {
    Sink sink = new Slf4jSink();
    pump(process.getInputStream(), new Forwarder(pluginName, false, sink), "plugin " + pluginName + " stdout");
    pump(process.getErrorStream(), new Forwarder(pluginName, true, sink), "plugin " + pluginName);
  }

  private void pump(InputStream in, Forwarder forwarder, String threadName) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        forward(r, forwarder, line -> keep(line, forwarder.stderr), TimeUnit.MILLISECONDS.toNanos(ENTRY_QUIET_MILLIS));
      } catch (IOException e) {
        // the process went away
      } finally {
        forwarder.flush();
        closed.countDown();
      }
    }, threadName);
    t.setDaemon(true);
    t.start();
  }

  /**
   * Reads {@code r} to its end, handing each line to {@code kept} and {@code forwarder}; an entry goes
   * out once no line came within {@code quietNanos} of the last. NOTE: not as soon as none is waiting: a
   * logger prints a message and then its stack trace in separate writes, and a pump that flushed between
   * them split one entry in two, the trace under a prefix of its own. One wait per burst of lines, not a
   * poll: a plugin that logs all the time costs the host a wake-up per window at most.
   */
  static void forward(BufferedReader r, Forwarder forwarder, Consumer<String> kept, long quietNanos)
      throws IOException {
    try {
      String line;
      while ((line = r.readLine()) != null) {
        kept.accept(line);
        forwarder.line(line);
        for (;;) {
          while (r.ready()) {
            if ((line = r.readLine()) == null) {
              return;
            }
            kept.accept(line);
            forwarder.line(line);
          }
          // NOTE: parkNanos, not sleep: an interrupt must not stop the pump (the plugin would then
          // block on a full pipe); a wake-up before the time only ends the wait early.
          LockSupport.parkNanos(quietNanos);
          if (!r.ready()) {
            break;
          }
        }
        forwarder.flush();
      }
    } finally {
      forwarder.flush();
    }
  }

  private void keep(String line, boolean stderr) {
    if (!stderr) {
      return;
    }
    synchronized (stderrTail) {
      stderrTail.add(line);
      if (stderrTail.size() > TAIL_LINES) {
        stderrTail.poll();
      }
    }
  }

  /**
   * Turns one stream's lines into log entries: parses each, joins continuation lines to the entry before,
   * and hands complete entries to the sink on {@link #flush()} or when the next entry starts.
   * One pump thread's; not thread-safe.
   */
  static final class Forwarder {
    private final String pluginLogger;
    private final boolean stderr;
    private final Sink sink;
    private String logger;
    private Level level;
    private StringBuilder message;
    private int joined;
    /** The level of the last entry, for continuation lines that arrive on their own. */
    private Level previousLevel;
    private String previousLogger;

    Forwarder(String pluginName, boolean stderr, Sink sink) {
      this.pluginLogger = "spoke.plugin." + pluginName;
      this.stderr = stderr;
      this.sink = sink;
    }

    void line(String line) {
      if (previousLevel != null && isContinuation(line)) {
        if (message != null && joined < MAX_JOINED_LINES) {
          message.append('\n').append(line);
          joined++;
          return;
        }
        flush();
        start(previousLogger, previousLevel, line);
        return;
      }
      flush();
      Matcher m = ENTRY.matcher(line);
      if (m.matches()) {
        start(pluginLogger + "." + m.group(2), Level.valueOf(m.group(1)), m.group(3));
      } else {
        start(pluginLogger, levelOf(line, null, stderr), line);
      }
    }

    private void start(String entryLogger, Level entryLevel, String text) {
      logger = entryLogger;
      level = entryLevel;
      message = new StringBuilder(text);
      joined = 0;
      previousLogger = entryLogger;
      previousLevel = entryLevel;
    }

    /** Hands the entry being built, if any, to the sink. */
    void flush() {
      if (message == null) {
        return;
      }
      String text = message.toString();
      message = null;
      PluginAssertionFailures.noteEntry(logger, text);
      sink.log(logger, level, text);
    }
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
