package dev.spoke.concurrency;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.ReportUtils;

/**
 * Runs this module's jcstress tests and exits non-zero unless every selected test ran, took samples,
 * and saw only outcomes its table allows. jcstress fails a run in which a test saw a forbidden or
 * unlisted outcome, but silently skips a test it cannot schedule (one with more actors than the machine
 * has CPUs), so the build relies on this check of the results file rather than on the harness alone.
 *
 * <p>Two modes, chosen by {@code -Dspoke.soak}:
 *
 * <ul>
 *   <li>normal (the default, part of {@code ./mvnw verify}): one JVM configuration, C2 only with its
 *       scheduling randomizers (the compiler is where plain accesses get reordered; the hardware's own
 *       store-load reordering shows in any mode), one 200 ms iteration per fork. On JDK 17 jcstress
 *       forks each test twice, with biased locking on and off.
 *   <li>soak: every configuration jcstress detects — C2 randomizers or not, and each actor compiled
 *       its own way (interpreted, C1, C2) — one 1 s iteration per fork, about 28 forks per test.
 * </ul>
 *
 * <p>Both cap a fork's batch at 1024 samples: jcstress looks at the clock between batches and sizes
 * them by trial first, so a test whose samples block (executors that park, frees that wait out a lock)
 * would otherwise spend many times its iteration on the trials.
 *
 * <p>Every fork runs with assertions on, so the single-owner checks of the structures under test hold
 * too; logging below ERROR is off (a test that takes over a stray lock makes the allocator warn on
 * every sample). Further arguments are jcstress's own (e.g. {@code -t} to select tests, {@code -r}
 * for the report directory) and replace the mode's where they name the same option.
 */
public final class StressSuite {

  private static final String FORK_FLAGS = "-ea -Dorg.slf4j.simpleLogger.defaultLogLevel=error";

  private static final List<String> NORMAL = List.of(
      "-m", "quick",
      "-sc", "false",
      "-f", "1",
      "-iters", "1",
      "-time", "200",
      "-strideSize", "256",
      "-strideCount", "4",
      "-jvmArgs", FORK_FLAGS + " -XX:-TieredCompilation -XX:+UnlockDiagnosticVMOptions"
          + " -XX:+StressLCM -XX:+StressGCM -XX:+StressIGVN -XX:+StressCCP");

  private static final List<String> SOAK = List.of(
      "-m", "quick",
      "-sc", "true",
      "-f", "1",
      "-fsm", "1",
      "-iters", "1",
      "-time", "1000",
      "-strideSize", "256",
      "-strideCount", "4",
      "-jvmArgsPrepend", FORK_FLAGS);

  private StressSuite() {}

  /** Runs the suite; see the class comment for the modes. */
  public static void main(String[] args) throws Exception {
    boolean soak = Boolean.getBoolean("spoke.soak");
    List<String> mode = soak ? SOAK : NORMAL;
    Set<String> given = new HashSet<>(Arrays.asList(args));
    List<String> options = new ArrayList<>();
    for (int i = 0; i < mode.size(); i += 2) { // the mode's options all take a value
      if (!given.contains(mode.get(i))) {
        options.add(mode.get(i));
        options.add(mode.get(i + 1));
      }
    }
    options.addAll(Arrays.asList(args));
    Options opts = new Options(options.toArray(new String[0]));
    if (!opts.parse()) {
      System.exit(2);
    }
    JCStress harness = new JCStress(opts);
    SortedSet<String> selected = harness.getTests();
    if (selected.isEmpty()) {
      System.err.println("No jcstress test matches " + opts.getTestFilter());
      System.exit(1);
    }
    long start = System.nanoTime();
    try {
      harness.run();
    } catch (AssertionError failures) {
      // jcstress's own summary of failed tests, already printed in its report; judged below.
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;

    InProcessCollector collector = new InProcessCollector();
    DiskReadCollector reader = new DiskReadCollector(opts.getResultFile(), collector);
    try {
      reader.dump();
    } finally {
      reader.close();
    }
    List<String> failures = new ArrayList<>();
    SortedSet<String> ran = new TreeSet<>();
    for (TestResult r : ReportUtils.mergedByName(collector.getTestResults())) {
      ran.add(r.getName());
      if (!ReportUtils.statusToPassed(r)) {
        failures.add(r.getName() + ": " + ReportUtils.statusToLabel(r));
      } else if (r.getTotalCount() == 0) {
        failures.add(r.getName() + ": no samples");
      }
    }
    for (String name : selected) {
      if (!ran.contains(name)) {
        failures.add(name + ": did not run (more actors than CPUs?)");
      }
    }
    System.out.println();
    System.out.println("Spoke jcstress suite (" + (soak ? "soak" : "normal") + " mode): " + selected.size()
        + " tests in " + seconds + " s, " + failures.size() + " failed");
    for (String f : failures) {
      System.out.println("  " + f);
    }
    System.exit(failures.isEmpty() ? 0 : 1);
  }
}
