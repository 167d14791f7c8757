package dev.spoke.examples.site;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The demo's command line.
 *
 * <p>Immutable.
 */
final class DemoOptions {

  static final List<String> PLUGINS = List.of(SiteBuild.MINIFIER, SiteBuild.IMAGES, SiteBuild.CODE_RUNNER);

  static final String USAGE = String.join("\n",
      "usage: site-demo [--in DIR] [--out DIR] [--kill PLUGIN] [--remote PLUGIN]...",
      "",
      "Builds a static site with three plugin processes: a minifier, an image processor and a code",
      "runner, all talking to this host through one shared-memory hub.",
      "",
      "  --in DIR       the site to build; default: the bundled sample site (examples/sample-site)",
      "  --out DIR      where the built site goes; default: examples/target/site. Emptied first if an",
      "                 earlier build made it; any other folder that is not empty is refused",
      "  --kill PLUGIN  kill that plugin (" + String.join(", ", PLUGINS) + ") with SIGKILL part-way",
      "                 through, to see it restarted and its calls retried; the site is still complete",
      "  --remote PLUGIN",
      "                 run that plugin as a separate process serving gRPC on loopback, as a plugin on",
      "                 another machine would: the host connects to it by address, the build is the",
      "                 same, and the summary shows its calls beside the hub's (may be repeated)",
      "  --help         this text");

  final Path input;
  final Path output;
  /** The plugin to kill part-way, or null. */
  final String kill;
  /** The plugins that run as separate gRPC servers on loopback. */
  final Set<String> remote;

  DemoOptions(Path input, Path output, String kill) {
    this(input, output, kill, Set.of());
  }

  DemoOptions(Path input, Path output, String kill, Set<String> remote) {
    this.input = input;
    this.output = output;
    this.kill = kill;
    this.remote = Collections.unmodifiableSet(new LinkedHashSet<>(remote));
  }

  /**
   * Parses the command line; relative defaults are found from {@code home}, the examples folder.
   *
   * @return null for {@code --help}
   * @throws IllegalArgumentException saying what is wrong
   */
  static DemoOptions parse(String[] args, Path home) {
    Path input = home.resolve("sample-site");
    Path output = home.resolve("target").resolve("site");
    String kill = null;
    Set<String> remote = new LinkedHashSet<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (name.equals("--help") || name.equals("-h")) {
        return null;
      }
      if (!List.of("--in", "--out", "--kill", "--remote").contains(name)) {
        throw new IllegalArgumentException("unknown option " + arg);
      }
      String value;
      if (arg.contains("=")) {
        value = arg.substring(arg.indexOf('=') + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(name + " needs a value");
      }
      switch (name) {
        case "--in":
          input = Path.of(value);
          break;
        case "--out":
          output = Path.of(value);
          break;
        case "--remote":
          if (!PLUGINS.contains(value)) {
            throw new IllegalArgumentException("--remote takes one of " + String.join(", ", PLUGINS) + ", not '" + value + "'");
          }
          remote.add(value);
          break;
        default:
          if (!PLUGINS.contains(value)) {
            throw new IllegalArgumentException("--kill takes one of " + String.join(", ", PLUGINS) + ", not '" + value + "'");
          }
          kill = value;
      }
    }
    if (!Files.isDirectory(input)) {
      throw new IllegalArgumentException("no site folder at " + input);
    }
    if (kill != null && remote.contains(kill)) {
      throw new IllegalArgumentException("--kill " + kill + " and --remote " + kill + ": a remote plugin is not the host's"
          + " to restart, so the demo does not kill it");
    }
    return new DemoOptions(input, output, kill, remote);
  }

  /**
   * The examples folder: the {@code spoke.examples.home} system property (the launcher sets it), or
   * found from the working directory (the repository's root, or {@code examples} itself).
   */
  static Path home() {
    String property = System.getProperty("spoke.examples.home");
    if (property != null) {
      return Path.of(property);
    }
    Path inRoot = Path.of("examples");
    return Files.isDirectory(inRoot.resolve("sample-site")) ? inRoot : Path.of(".");
  }
}
