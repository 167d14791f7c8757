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
 * {@code spoke-inspect}: prints what a live hub holds — its host; every plugin's peer entry (state, pid,
 * heartbeat, flagged stale), its calls in flight with their method, age and deadline, both of its rings
 * (head, tail, depth, the deepest they got, and the descriptors waiting, by method name); and the slot
 * pool's usage per size class with the most ever in use and the owners of the slots in use. It maps the
 * file read-only, so it never disturbs the hub it looks at. The answer to "why is it hung?" in one
 * command, with no signal handlers. {@code --json} gives the same to scripts.
 *
 * <p>Run it as {@code java -jar spoke-transport-shm-VERSION-inspect.jar} (the executable jar published
 * beside the transport's), or {@code java -cp <a host's class path> dev.spoke.shm.SpokeInspect}; see
 * {@link #usage()}.
 *
 * <p>This is a command-line program: its output on stdout is its purpose.
 */
public final class SpokeInspect {

  /**
   * What {@code --help} prints. A method, not a constant: naming the default directory loads classes
   * that start SLF4J, which must not happen before {@link #main} has quieted it.
   */
  static String usage() {
    return String.join("\n",
        "usage: spoke-inspect [--watch[=MS]] [--waiting=N] [--json] [HUB-FILE | DIRECTORY ...]",
        "",
        "Prints what a live Spoke hub holds, without disturbing it (the file is mapped read-only):",
        "  - the host: pid, state, heartbeat;",
        "  - each plugin's peer entry: name, state, pid, heartbeat, flagged STALE when older than twice",
        "    the heartbeat interval (the plugin is stopped, hung or starved of CPU);",
        "  - each plugin's calls in flight, both ways, oldest first: method, call id, how long it has run",
        "    and its deadline, as the host published them (once a second);",
        "  - both rings of each plugin: head, tail, depth now and the most found waiting at once, whether",
        "    the reader is parked, and the descriptors waiting (kind, call id, method, payload);",
        "  - the slot pool per size class: slots in use now, the most ever in use, and who holds them.",
        "",
        "With no file, inspects every hub in " + HubFile.defaultDirectory() + " (this user's).",
        "",
        "  --watch[=MS]   print again every MS milliseconds (default 1000) until interrupted",
        "  --waiting=N    list up to N waiting descriptors per ring (default 16)",
        "  --json         print {\"hubs\": [...]} on one line per round instead, for scripts",
        "  -h, --help     this text",
        "",
        "Exit status: 0 done, 1 a hub could not be read, 2 a wrong command line.");
  }

  private SpokeInspect() {}

  /** Runs the command with {@code args} and exits with its status (see {@link #usage()}). */
  public static void main(String[] args) {
    // A CLI with nothing to log: keep SLF4J's notice about having no logging backend off its output.
    System.setProperty("slf4j.internal.verbosity", "ERROR");
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the command; returns its exit status (0 fine, 1 a hub could not be read, 2 usage). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    long watchMillis = 0;
    int waiting = 16;
    boolean json = false;
    List<Path> targets = new ArrayList<>();
    for (String a : args) {
      if (a.equals("--watch")) {
        watchMillis = 1000;
      } else if (a.startsWith("--watch=")) {
        watchMillis = parsePositive(a.substring(8), "--watch", err);
      } else if (a.startsWith("--waiting=")) {
        waiting = (int) parsePositive(a.substring(10), "--waiting", err);
      } else if (a.equals("--json")) {
        json = true;
      } else if (a.equals("-h") || a.equals("--help")) {
        out.println(usage());
        return 0;
      } else if (a.startsWith("-")) {
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
        if (json) {
          out.println("{\"hubs\":[]}");
        } else {
          out.println("no hubs: " + dir + " does not exist (no host is running)");
        }
        return 0;
      }
      targets.add(dir);
    }
    for (;;) {
      int status = printOnce(targets, waiting, json, out, err);
      if (watchMillis == 0) {
        return status;
      }
      if (!json) {
        out.println();
      }
      out.flush();
      try {
        Thread.sleep(watchMillis);
      } catch (InterruptedException e) {
        return status;
      }
    }
  }

  private static int printOnce(List<Path> targets, int waiting, boolean json, PrintStream out, PrintStream err) {
    int status = 0;
    List<String> documents = new ArrayList<>();
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
        if (hubs.isEmpty() && !json) {
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
          HubSnapshot snapshot = HubFile.openReadOnly(hub).snapshot(waiting);
          if (json) {
            documents.add(snapshot.toJson());
          } else {
            out.print(snapshot);
          }
        } catch (IOException e) {
          err.println("spoke-inspect: " + e.getMessage());
          status = 1;
        }
      }
    }
    if (json) {
      out.println("{\"hubs\":[" + String.join(",", documents) + "]}");
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
