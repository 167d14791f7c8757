package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.examples.site.minify.MinifierPlugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.SizeClass;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's table of defaults says what the code does. */
class DefaultsTableTest {

  /** The table's rows: setting → default, as written. */
  private static Map<String, String> table() throws IOException {
    String readme = Files.readString(ReadmeExamplesTest.ROOT.resolve("README.md"));
    int start = readme.indexOf("### Defaults");
    assertTrue(start >= 0, "the README has no Defaults section");
    String section = readme.substring(start, readme.indexOf("\n#", start + 1));
    Map<String, String> rows = new LinkedHashMap<>();
    for (String line : section.split("\n")) {
      if (line.startsWith("| ") && !line.startsWith("| setting") && !line.startsWith("|---")) {
        String[] cells = line.split(" \\| ");
        rows.put(cells[0].substring(2).trim(), cells[1].trim());
      }
    }
    return rows;
  }

  private static String seconds(Duration d) {
    return d.toSeconds() + " s";
  }

  @Test
  void everyDefaultInTheTableIsTheCodes() throws IOException {
    PluginSpec spec = PluginSpec.java("any", MinifierPlugin.class).build();
    HubConfig hub = HubConfig.defaults();
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("plugin class path", "where its main class was loaded from");
    expected.put("ready timeout (start to READY)", seconds(spec.readyTimeout()));
    expected.put("restart policy", spec.restartPolicy().toString());
    expected.put("shutdown grace (running calls finish, then the process is terminated)", seconds(spec.shutdownGrace()));
    expected.put("working directory, environment", spec.workingDirectory() == null && spec.environment().isEmpty()
        ? "the host's" : "not the host's");
    expected.put("plugin JVM options", "`" + String.join(" ", PluginSpec.DEFAULT_JVM_OPTIONS) + "`");
    expected.put("plugins per hub", String.valueOf(hub.maxPeers()));
    expected.put("ring capacity (descriptors per direction)", String.valueOf(hub.ringCapacity()));
    expected.put("size classes (slot size × slots)", hub.sizeClasses().stream().map(SizeClass::toString)
        .map(c -> c.replace(" x ", " × ")).collect(Collectors.joining(", ")));
    expected.put("hub directory", "`/dev/shm/spoke-<uid>`");
    expected.put("idle strategy", hub.idleStrategy().name());
    expected.put("send timeout (wait for a slot or ring entry, for calls without a deadline)", seconds(hub.sendTimeout()));
    expected.put("heartbeat interval / timeout", seconds(hub.heartbeatInterval()) + " / " + seconds(hub.heartbeatTimeout()));
    expected.put("park limit (longest sleep of an idle receive loop)", seconds(hub.parkLimit()));
    expected.put("call executor (host services, callbacks)", "inline where their frames arrive");
    expected.put("inline code may hold a delivering thread for", hub.handOffAfter().toNanos() / 1000 + " µs");
    expected.put("a plugin may leave frames unread before it is declared hung", seconds(hub.hungAfter()));
    expected.put("calls one plugin may have in flight to the host (more are refused with `RESOURCE_EXHAUSTED`)",
        String.valueOf(dev.spoke.host.SpokeHost.DEFAULT_MAX_CALLS_PER_PLUGIN));
    Map<String, String> rows = table();
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(rows.keySet()), "the table's rows");
    for (Map.Entry<String, String> e : expected.entrySet()) {
      String cell = rows.get(e.getKey());
      assertTrue(cell.startsWith(e.getValue()), e.getKey() + ": the README says '" + cell + "', the code '" + e.getValue() + "'");
    }
    assertEquals(16 << 20, hub.maxPayloadLength());
    assertTrue(rows.get("size classes (slot size × slots)").endsWith("the largest message is 16 MiB"));
  }
}
