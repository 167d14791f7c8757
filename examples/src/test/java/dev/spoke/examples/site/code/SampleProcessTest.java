package dev.spoke.examples.site.code;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.examples.site.Conditions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Samples in real subprocesses: output, exit status, and kills that leave nothing behind. */
class SampleProcessTest {

  /** Starts a helper that would live five minutes, says its pid, then loops. */
  static final String RUNAWAY = "sleep 300 &\necho \"helper $!\"\nwhile true; do echo tick; sleep 1; done\n";
  private static final Pattern HELPER = Pattern.compile("helper (\\d+)");

  @TempDir
  Path dir;

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CountDownLatch firstLine = new CountDownLatch(1);

  private SampleProcess sample(String source) throws IOException {
    Path script = Files.writeString(dir.resolve("sample.sh"), source);
    return new SampleProcess(script, (stderr, text) -> {
      lines.add((stderr ? "err: " : "") + text);
      firstLine.countDown();
    });
  }

  private SampleProcess.Result run(String source, Duration timeout) throws Exception {
    SampleProcess p = sample(source);
    assertTrue(p.start());
    return p.await(timeout);
  }

  /** Waits until the helper the sample announced is gone. */
  private void assertHelperDies() {
    long helper = lines.stream().map(HELPER::matcher).filter(Matcher::find).mapToLong(m -> Long.parseLong(m.group(1)))
        .findFirst().orElseThrow(() -> new AssertionError("no helper pid in " + lines));
    Conditions.waitUntil("helper " + helper + " is gone", Duration.ofSeconds(10), () -> Conditions.dead(helper));
  }

  @Test
  void streamsBothOutputsAndTheExitStatus() throws Exception {
    SampleProcess.Result r = run("echo one\necho two >&2\necho three\nexit 4\n", Duration.ofSeconds(30));
    assertEquals(4, r.exitStatus);
    assertFalse(r.timedOut);
    assertEquals(0, r.processesKilled);
    assertEquals(List.of("one", "three"), lines.stream().filter(l -> !l.startsWith("err: ")).toList());
    assertEquals(List.of("err: two"), lines.stream().filter(l -> l.startsWith("err: ")).toList());
  }

  @Test
  void readsNothingFromStandardInput() throws Exception {
    assertEquals(0, run("if read x; then echo \"read $x\"; else echo eof; fi\n", Duration.ofSeconds(30)).exitStatus);
    assertEquals(List.of("eof"), lines);
  }

  @Test
  void aTimeoutKillsTheSampleAndEverythingItStarted() throws Exception {
    SampleProcess.Result r = run(RUNAWAY, Duration.ofSeconds(1));
    assertTrue(r.timedOut);
    assertEquals(128 + 9, r.exitStatus, "killed by SIGKILL");
    assertTrue(r.processesKilled >= 2, "the sample and its helper, at least: " + r.processesKilled);
    assertHelperDies();
  }

  @Test
  void cancellingKillsTheSampleAndEverythingItStarted() throws Exception {
    SampleProcess p = sample(RUNAWAY);
    assertTrue(p.start());
    assertTrue(firstLine.await(30, TimeUnit.SECONDS));
    p.cancel();
    SampleProcess.Result r = p.await(Duration.ofSeconds(60));
    assertTrue(r.cancelled);
    assertFalse(r.timedOut);
    assertHelperDies();
  }

  @Test
  void aSampleCancelledBeforeItStartsNeverRuns() throws Exception {
    SampleProcess p = sample("echo ran\n");
    p.cancel();
    assertFalse(p.start());
    assertEquals(List.of(), lines);
  }

  @Test
  void whatASampleLeavesRunningDiesWithIt() throws Exception {
    SampleProcess.Result r = run("sleep 300 &\necho \"helper $!\"\nexit 0\n", Duration.ofSeconds(60));
    assertEquals(0, r.exitStatus);
    assertFalse(r.timedOut);
    assertHelperDies();
  }

  @Test
  void aPluginKilledWithSigkillLeavesNoSampleBehindAndSamplesSeeNoHubToken() throws Exception {
    Path script = Files.writeString(dir.resolve("runaway.sh"), "echo \"SPOKE_ variables: $(env | grep -c '^SPOKE_')\"\n" + RUNAWAY);
    ProcessBuilder pb = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), SampleInChildJvm.class.getName(), script.toString())
        .redirectErrorStream(true);
    pb.environment().put("SPOKE_HUB_TOKEN", "1.secret"); // as a launched plugin has it
    Process jvm = pb.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
      long helper = -1;
      for (String line; helper < 0 && (line = out.readLine()) != null; ) {
        lines.add(line);
        Matcher m = HELPER.matcher(line);
        if (m.find()) {
          helper = Long.parseLong(m.group(1));
        }
      }
      assertTrue(helper > 0, "the child JVM said no helper pid: " + lines);
      assertTrue(lines.contains("SPOKE_ variables: 0"), "the sample saw the plugin's SPOKE_ variables: " + lines);
      assertFalse(Conditions.dead(helper));
      jvm.destroyForcibly(); // SIGKILL: nothing of the JVM runs after this
      long pid = helper;
      Conditions.waitUntil("helper " + pid + " is gone", Duration.ofSeconds(10), () -> Conditions.dead(pid));
    } finally {
      jvm.destroyForcibly();
      jvm.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** A stand-in for the code-runner plugin: runs a sample, prints its output, waits to be killed. */
  public static final class SampleInChildJvm {
    public static void main(String[] args) throws Exception {
      SampleProcess p = new SampleProcess(Path.of(args[0]), (stderr, text) -> {
        System.out.println(text);
        System.out.flush();
      });
      p.start();
      p.await(Duration.ofMinutes(5));
    }
  }
}
