package dev.spoke.examples.site;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The site-build demo: builds a static site with three plugin processes (a minifier, an image
 * processor and a code runner) that talk to this host through one shared-memory hub, then prints a
 * summary. Run it with {@code examples/site-demo.sh}; see {@link DemoOptions#USAGE} for the options.
 *
 * <p>Exit status: 0 when the whole site was built, 1 when some file was not (the summary lists them)
 * or the build could not start, 2 for a wrong command line.
 */
public final class SiteDemo {

  private SiteDemo() {}

  public static void main(String[] args) {
    Console console = Console.system();
    console.captureStderr();
    // On Ctrl-C the host's own shutdown hook stops the plugins and removes the hub; this one leaves
    // the terminal on a clean line.
    Runtime.getRuntime().addShutdownHook(new Thread(console::endProgress, "site-demo-exit"));
    int status;
    try {
      status = run(args, DemoOptions.home(), console);
    } finally {
      console.releaseStderr();
    }
    System.exit(status);
  }

  /** Runs the demo; returns its exit status. */
  static int run(String[] args, Path home, Console console) {
    DemoOptions options;
    try {
      options = DemoOptions.parse(args, home);
    } catch (IllegalArgumentException e) {
      console.println("site-demo: " + e.getMessage());
      console.println(DemoOptions.USAGE);
      return 2;
    }
    if (options == null) {
      console.println(DemoOptions.USAGE);
      return 0;
    }
    BuildReport report;
    try {
      report = build(options, console);
    } catch (IOException | RuntimeException e) {
      console.endProgress();
      console.println("site-demo: the build could not run: " + e.getMessage());
      return 1;
    }
    console.println("");
    Summary.lines(report).forEach(console::println);
    return report.exitCode();
  }

  /** Builds the site of {@code options}, telling {@code console} how it goes; for tests, too. */
  static BuildReport build(DemoOptions options, Console console) throws IOException {
    console.println("Spoke site-build demo: " + options.input + " -> " + options.output
        + (options.kill != null ? " (killing plugin '" + options.kill + "' part-way)" : ""));
    SampleImages.ensure(options.input,
        n -> console.println("Drawing the " + n + " missing pictures of the sample site (only on the first run) ..."));
    try {
      return new SiteBuild(options, console).run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
