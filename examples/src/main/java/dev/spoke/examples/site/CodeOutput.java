package dev.spoke.examples.site;

import dev.spoke.examples.site.api.OutputLine;
import dev.spoke.examples.site.api.RunEvent;
import dev.spoke.examples.site.api.RunResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one run of a code sample printed and how it ended, as the code runner streamed it; and how
 * it goes into the pages that show it ({@code <pre data-run="samples/x.sh"></pre>}).
 *
 * <p>Not thread-safe while it is filled; immutable in effect after.
 */
final class CodeOutput {

  /** An empty {@code pre} element that asks for a sample's output: group 1 is the sample's path. */
  static final Pattern PLACEHOLDER = Pattern.compile("<pre\\b[^>]*\\bdata-run=\"([^\"]+)\"[^>]*>\\s*</pre>");

  final String path;
  private final List<OutputLine> lines = new ArrayList<>();
  private RunResult result;

  CodeOutput(String path) {
    this.path = path;
  }

  void add(RunEvent event) {
    if (event.hasLine()) {
      lines.add(event.getLine());
    } else if (event.hasResult()) {
      result = event.getResult();
    }
  }

  List<OutputLine> lines() {
    return Collections.unmodifiableList(lines);
  }

  /** How the run ended; null if the stream ended without saying (which the runner never does). */
  RunResult result() {
    return result;
  }

  /** One line on how it ended: "exit status 0 in 12 ms", "timed out after 2.0 s: killed 3 processes". */
  String ending() {
    if (result == null) {
      return "no result";
    }
    if (result.getTimedOut()) {
      return String.format("timed out after %.1f s: killed %d %s", result.getDurationMillis() / 1000.0,
          result.getProcessesKilled(), result.getProcessesKilled() == 1 ? "process" : "processes");
    }
    return "exit status " + result.getExitStatus() + " in " + result.getDurationMillis() + " ms"
        + (result.getProcessesKilled() > 0 ? ", killed " + result.getProcessesKilled() + " left running" : "");
  }

  /** The output as plain text, stderr lines marked, and the ending last. */
  String text() {
    StringBuilder b = new StringBuilder();
    for (OutputLine l : lines) {
      b.append(l.getStderr() ? "[stderr] " : "").append(l.getText()).append('\n');
    }
    return b.append('[').append(ending()).append("]\n").toString();
  }

  /** The output as the content of a {@code pre} element. */
  String html() {
    StringBuilder b = new StringBuilder();
    for (OutputLine l : lines) {
      String text = escape(l.getText());
      b.append(l.getStderr() ? "<span class=\"stderr\">" + text + "</span>" : text).append('\n');
    }
    return b.append("<span class=\"status\">").append(escape(ending())).append("</span>").toString();
  }

  /** The samples a page shows the output of. */
  static List<String> samplesIn(String html) {
    List<String> paths = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(html);
    while (m.find()) {
      paths.add(m.group(1));
    }
    return paths;
  }

  /** {@code html} with each placeholder filled with its sample's output; unknown samples stay empty. */
  static String embed(String html, Map<String, CodeOutput> outputs) {
    Matcher m = PLACEHOLDER.matcher(html);
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      CodeOutput out = outputs.get(m.group(1));
      String element = m.group();
      String filled = out == null ? element : element.substring(0, element.lastIndexOf("</pre>")).stripTrailing()
          + out.html() + "</pre>";
      m.appendReplacement(b, Matcher.quoteReplacement(filled));
    }
    m.appendTail(b);
    return b.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
