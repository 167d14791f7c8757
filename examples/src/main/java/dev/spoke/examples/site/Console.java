package dev.spoke.examples.site;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.function.Consumer;

/**
 * The demo's console: lines of output, and one progress line. On a terminal the progress line stays
 * at the bottom and is redrawn in place, and anything else written to stderr meanwhile (log lines) is
 * printed above it, so nothing garbles. Anywhere else (a pipe, a file, a CI log) there are no control
 * characters at all: progress is a plain line at each quarter of the work.
 *
 * <p>Thread-safe.
 */
final class Console {

  private static final String CLEAR_LINE = "\r\033[K";

  private final PrintStream out;
  private final boolean live;
  private String status = "";
  private int quartersShown;
  private PrintStream originalErr;

  Console(PrintStream out, boolean live) {
    this.out = out;
    this.live = live;
  }

  /** The console of this process: live when stdin and stdout are a terminal that can redraw a line. */
  static Console system() {
    String term = System.getenv("TERM");
    boolean live = System.console() != null && term != null && !term.equals("dumb");
    return new Console(System.out, live);
  }

  boolean isLive() {
    return live;
  }

  /** Prints a line (above the progress line, on a terminal). */
  synchronized void println(String line) {
    hideStatus();
    out.println(line);
    showStatus();
  }

  /**
   * Shows the progress: {@code done} of {@code total} units, and a description. On a terminal it
   * replaces the last progress line; elsewhere it prints a line when a new quarter is reached.
   */
  synchronized void progress(int done, int total, String detail) {
    int percent = total == 0 ? 100 : done * 100 / total;
    if (live) {
      int filled = percent / 5;
      status = "[" + "#".repeat(filled) + "-".repeat(20 - filled) + "] " + String.format("%3d%%", percent) + "  " + detail;
      out.print(CLEAR_LINE + status);
      out.flush();
      return;
    }
    int quarter = percent / 25;
    if (quarter > quartersShown) {
      quartersShown = quarter;
      out.println(String.format("%3d%%  %s", percent, detail));
    }
  }

  /** Removes the progress line; later output starts on a clean line. */
  synchronized void endProgress() {
    hideStatus();
    status = "";
  }

  /**
   * On a terminal, routes {@code System.err} through this console, so log lines written while the
   * progress line shows do not cut into it. Undone by {@link #releaseStderr()}.
   */
  synchronized void captureStderr() {
    if (!live || originalErr != null) {
      return;
    }
    originalErr = System.err;
    PrintStream err = originalErr;
    System.setErr(new PrintStream(new LineBuffer(line -> {
      synchronized (Console.this) {
        hideStatus();
        err.println(line);
        err.flush();
        showStatus();
      }
    }), true, Charset.defaultCharset()));
  }

  synchronized void releaseStderr() {
    if (originalErr != null) {
      System.err.flush();
      System.setErr(originalErr);
      originalErr = null;
    }
  }

  private void hideStatus() {
    if (live && !status.isEmpty()) {
      out.print(CLEAR_LINE);
      out.flush();
    }
  }

  private void showStatus() {
    if (live && !status.isEmpty()) {
      out.print(status);
      out.flush();
    }
  }

  /** Collects bytes into lines and hands each complete line on. */
  private static final class LineBuffer extends OutputStream {
    private final Consumer<String> lines;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    LineBuffer(Consumer<String> lines) {
      this.lines = lines;
    }

    @Override
    public synchronized void write(int b) {
      if (b == '\n') {
        String line = buffer.toString(Charset.defaultCharset());
        buffer.reset();
        lines.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
      } else {
        buffer.write(b);
      }
    }

    @Override
    public synchronized void flush() {
      // lines are handed on whole; a partial line waits for its end
    }
  }
}
