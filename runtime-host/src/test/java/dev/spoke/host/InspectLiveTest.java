package dev.spoke.host;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spoke-inspect, run as a process of its own against a live host: a plugin busy with a call shows it by
 * name with its age and deadline; a SIGSTOPped plugin is flagged stale, with the call waiting for it in
 * its ring named; the high-water marks show how deep the rings and how full the pool got.
 */
class InspectLiveTest {

  @TempDir
  Path dir;

  /** Runs spoke-inspect in a JVM of its own; returns its stdout, failing on a non-zero exit. */
  private static String inspect(String... args) throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.spoke.shm.SpokeInspect"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "spoke-inspect did not finish");
    assertEquals(0, p.exitValue(), out + err.join());
    return out;
  }

  private static String read(java.io.InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }


  @Test
  void showsNamesCallsInFlightStaleHeartbeatsAndHighWaterMarks() throws Exception {
    TestCallbacks callbacks = new TestCallbacks();
    // The stopped plugin must not be declared hung (and reclaimed) before the inspector has looked.
    HubConfig config = HubConfig.builder().directory(dir).hungAfter(java.time.Duration.ofSeconds(60)).build();
    try (SpokeHost host = SpokeHost.builder().hubConfig(config).addService(callbacks).build()) {
      Plugin busy = host.launch(PluginSpec.java("busy", EchoPlugin.class).jvmArgs("-Xmx128m").build());
      Plugin frozen = host.launch(PluginSpec.java("frozen", EchoPlugin.class).jvmArgs("-Xmx128m").build());
      // A call the busy plugin keeps running (it hangs until cancelled), with a 2 KB request in a slot.
      CompletableFuture<Payload> hanging = EchoSpoke.newStub(busy.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
          .hang(EchoPlugin.payload(1, ByteString.copyFrom(new byte[2000])));
      assertEquals("hanging", callbacks.events.poll(30, TimeUnit.SECONDS).getKind());
      HostPluginTest.signal("STOP", frozen.pid()); // returns once every thread is stopped
      try {
        // A call the stopped plugin will not take off its ring.
        CompletableFuture<Payload> stuck = EchoSpoke.newStub(frozen.channel()).withDeadlineAfter(60, TimeUnit.SECONDS)
            .unary(EchoPlugin.payload(2, ByteString.EMPTY));
        String[] out = new String[1];
        // Its heartbeat goes stale after two intervals (2 s each by default).
        waitUntil("spoke-inspect flags the stopped plugin", 20, () -> {
          try {
            out[0] = inspect(host.hubPath().toString());
            return Pattern.compile("'frozen' ACTIVE .*STALE: no heartbeat for").matcher(out[0]).find();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        String text = out[0];
        assertTrue(text.contains("layout 2.2"), text);
        // The busy plugin: fresh heartbeat, its call by name, with age and deadline.
        assertTrue(Pattern.compile("'busy' ACTIVE epoch \\d+ pid " + busy.pid() + " heartbeat \\d+\\.\\d s ago\n").matcher(text).find(), text);
        assertTrue(Pattern.compile("host → plugin spoke\\.it\\.Echo/Hang, call \\d+, unary, running \\d+\\.\\d s, deadline in 1\\d\\d\\.\\d s")
            .matcher(text).find(), text);
        // While the plugin runs Hang, it reported to the host: that call came and went, the Hang stays.
        assertTrue(Pattern.compile("1 call in flight \\(as of \\d\\.\\d s ago\\):").matcher(text).find(), text);
        // The stopped plugin: the call waiting for it, by name, in its ring and among its calls.
        assertTrue(Pattern.compile("CALL_START call \\d+ spoke\\.it\\.Echo/Unary \\d+ B inline").matcher(text).find(), text);
        assertTrue(Pattern.compile("host → plugin spoke\\.it\\.Echo/Unary, call \\d+, unary, running \\d+\\.\\d s, deadline in [1-6]\\d\\.\\d s")
            .matcher(text).find(), text);
        assertTrue(Pattern.compile("host→peer \\d+: head \\d+, tail \\d+, depth 1/256 \\(at most \\d+\\)").matcher(text).find(), text);
        // The busy plugin's 2 KB request took a 16 KiB slot once: the class's high-water mark says so.
        Matcher cls = Pattern.compile("class 1 \\(16 KiB\\): \\d+ of 256 in use, at most (\\d+)").matcher(text);
        assertTrue(cls.find(), text);
        assertTrue(Integer.parseInt(cls.group(1)) >= 1, text);
        assertFalse(Pattern.compile("'busy'.*STALE").matcher(text).find(), text);
        assertFalse(text.contains("method 0x"), "every method id is named:\n" + text);

        // The same for scripts: one line of JSON.
        String json = inspect("--json", host.hubPath().toString());
        assertEquals(1, json.strip().lines().count(), json);
        assertTrue(json.startsWith("{\"hubs\":[{\"path\":"), json);
        assertTrue(Pattern.compile("\"name\":\"frozen\",\"state\":\"ACTIVE\",\"epoch\":\\d+,\"pid\":" + frozen.pid()
            + ",\"heartbeatAgeMillis\":\\d+,\"heartbeatStale\":true").matcher(json).find(), json);
        assertTrue(Pattern.compile("\"method\":\"spoke\\.it\\.Echo/Hang\",\"direction\":\"host-to-plugin\",\"type\":\"UNARY\","
            + "\"ageMillis\":\\d+,\"deadlineInMillis\":\\d+").matcher(json).find(), json);
        assertTrue(json.contains("\"inUseHighWater\":"), json);
        stuck.cancel(true);
      } finally {
        HostPluginTest.signal("CONT", frozen.pid());
      }
      hanging.cancel(true);
    }
  }

  @Test
  void helpSaysWhatItShowsAndHowToRunIt() throws Exception {
    String help = inspect("--help");
    assertTrue(help.startsWith("usage: spoke-inspect [--watch[=MS]] [--waiting=N] [--json] [HUB-FILE | DIRECTORY ...]"), help);
    for (String part : List.of("STALE", "calls in flight", "the most ever in use", "--json", "Exit status")) {
      assertTrue(help.contains(part), "no '" + part + "' in:\n" + help);
    }
  }
}
