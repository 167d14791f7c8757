package dev.spoke.shm;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code spoke-inspect}: prints what a live hub holds — its host, every plugin's peer entry (state, pid,
 * epoch, last heartbeat), both rings of each with head, tail, depth and the descriptors waiting in them
 * (call id, kind, method id, size), and the slot pool's usage per size class with the owners of the
 * slots in use. It maps the file read-only, so it never disturbs the hub it looks at. The answer to "why
 * is it hung?" in one command, with no signal handlers.
 *
 * <pre>
 * spoke-inspect                 every hub in the default directory
 * spoke-inspect HUB|DIR         one hub file, or every hub in a directory
 * spoke-inspect --watch[=MS] …  again every MS milliseconds (default 1000) until interrupted
 * spoke-inspect --waiting=N …   list up to N waiting descriptors per ring (default 16)
 * </pre>
 *
 * <p>This is a command-line program: its output on stdout is its purpose.
 */
public final class SpokeInspect {

  private SpokeInspect() {}

  public static void main(String[] args) {
    // A CLI with nothing to log: keep SLF4J's notice about having no logging backend off its output.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command; returns its exit status (0 fine, 1 a hub could not be read, 2 usage). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    long watchMillis = 0;
    int waiting = 16;
    List<Path> targets = new ArrayList<>();
    for (String a : args) {
      if (a.equals("--watch")) {
        watchMillis = 1000;
      } else if (a.startsWith("--watch=")) {
        watchMillis = parsePositive(a.substring(8), "--watch", err);
      } else if (a.startsWith("--waiting=")) {
        waiting = (int) parsePositive(a.substring(10), "--waiting", err);
      } else if (a.equals("-h") || a.equals("--help")) {
        out.println("usage: spoke-inspect [--watch[=MS]] [--waiting=N] [HUB-FILE | DIRECTORY ...]");
        out.println("  With no file, inspects every hub in " + HubFile.defaultDirectory());
        return 0;
      } else if (a.startsWith("--")) {
        err.println("spoke-inspect: unknown option " + a + " (try --help)");
        return 2;
      } else {
        targets.add(Paths.get(a));
      }
    }
    if (watchMillis < 0 || waiting < 0) {
      return 2;
    }
    if (targets.isEmpty()) {
      Path dir = HubFile.defaultDirectory();
      if (!Files.isDirectory(dir)) {
        out.println("no hubs: " + dir + " does not exist (no host is running)");
        return 0;
      }
      targets.add(dir);
    }
    for (;;) {
      int status = printOnce(targets, waiting, out, err);
      if (watchMillis == 0) {
        return status;
      }
      out.println();
      out.flush();
      try {
        Thread.sleep(watchMillis);
      } catch (InterruptedException e) {
        return status;
      }
    }
  }

  private static int printOnce(List<Path> targets, int waiting, PrintStream out, PrintStream err) {
    int status = 0;
    for (Path target : targets) {
      List<Path> hubs = new ArrayList<>();
      if (Files.isDirectory(target)) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(target, "*.hub")) {
          files.forEach(hubs::add);
        } catch (IOException e) {
          err.println("spoke-inspect: cannot list " + target + ": " + e.getMessage());
          status = 1;
          continue;
        }
        if (hubs.isEmpty()) {
          out.println("no hubs in " + target);
        }
      } else if (Files.exists(target)) {
        hubs.add(target);
      } else {
        err.println("spoke-inspect: " + target + " does not exist (no host is running, or it exited)");
        status = 1;
      }
      hubs.sort(null);
      for (Path hub : hubs) {
        try {
          out.print(HubFile.openReadOnly(hub).snapshot(waiting));
        } catch (IOException e) {
          err.println("spoke-inspect: " + e.getMessage());
          status = 1;
        }
      }
    }
    out.flush();
    return status;
  }

  private static long parsePositive(String value, String option, PrintStream err) {
    try {
      long v = Long.parseLong(value);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    err.println("spoke-inspect: " + option + " needs a positive number, got '" + value + "'");
    return -1;
  }
}
