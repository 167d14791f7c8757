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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards a plugin process's stdout and stderr, line by line, to SLF4J under the logger {@code
 * spoke.plugin.<name>}, and keeps the last lines of stderr for error messages.
 *
 * <p>Thread-safe.
 */
final class PluginOutput {

  private static final int TAIL_LINES = 20;

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
        while ((line = r.readLine()) != null) {
          log.info("{}", line);
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
