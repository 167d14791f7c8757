package dev.spoke.examples.site;

import static dev.spoke.shm.HubSnapshot.bytes;

import dev.spoke.examples.site.api.BrokenLink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The demo's closing summary, as lines of plain text: what was built, the calls per plugin with
 * bytes and latency percentiles, how the hub's size classes were used, the kill and the restart when
 * there was one, and whether everything was cleaned up.
 *
 * <p>Stateless.
 */
final class Summary {

  private Summary() {}

  static List<String> lines(BuildReport r) {
    List<String> out = new ArrayList<>();
    out.add(String.format("Built %s into %s in %s (plugins ready after %s, site built in %s)",
        r.input, r.output, seconds(r.totalMillis), seconds(r.launchMillis), seconds(r.buildMillis)));
    out.add(minified("pages", r.pages()));
    out.add(minified("stylesheets", r.stylesheets()));
    out.add(String.format("  images       %3d   scaled to %d px wide, with grey thumbnails of %d px",
        r.images().size(), SiteBuild.WEB_WIDTH, SiteBuild.THUMBNAIL_WIDTH));
    out.add(String.format("  samples      %3d   %s", r.samples().size(), samples(r)));
    out.add(String.format("  links        %3d   checked by the host for the minifier; %s", r.linksChecked(), broken(r.brokenLinks())));
    for (Map.Entry<String, List<BrokenLink>> e : r.brokenLinks().entrySet()) {
      for (BrokenLink b : e.getValue()) {
        out.add("                     " + e.getKey() + ": " + b.getHref() + " (" + b.getReason() + ")");
      }
    }
    out.add(String.format("  copied       %3d   other files, as they are", r.copiedFiles()));
    out.add("");
    out.add("Calls          via   calls  failed  retried       sent   received      p50      p90      p99      max");
    for (BuildReport.PluginRow row : r.plugins) {
      out.add(callRow(row.name, row.remoteAddress != null ? "gRPC" : "hub", row.stats, String.valueOf(row.stats.retried())));
    }
    out.add(callRow("host callbacks", "hub", r.hostCallbacks, "-"));
    if (r.remoteCallbacks != null) {
      out.add(callRow("host callbacks", "gRPC", r.remoteCallbacks, "-"));
    }
    out.add("  (bytes from the caller's side: the host's callbacks send the site's files; latencies include each");
    out.add("  plugin's cold start, its first calls run before the JIT has compiled anything)");
    for (BuildReport.PluginRow row : r.plugins) {
      if (row.remoteAddress != null) {
        out.add(String.format("  %s ran as a separate process (pid %d) serving gRPC on %s; the host connected to it", row.name,
            row.firstPid, row.remoteAddress));
        out.add(String.format("  by address and served its callbacks over gRPC on %s (loopback, plaintext).", r.callbacksAddress));
      }
    }
    out.add("");
    out.add(String.format("Hub size classes (peak: most slots seen in use at once, %d samples)", r.poolSamples));
    out.add("  slot size  slots  messages       bytes  peak");
    out.add(String.format("  %9s  %5s  %8d  %10s  %4s", "inline", "-", r.inlineMessages, "-", "-"));
    for (BuildReport.ClassRow c : r.sizeClasses) {
      out.add(String.format("  %9s  %5d  %8d  %10s  %4d", bytes(c.slotSize), c.slotCount, c.messages, bytes(c.bytes), c.peak));
    }
    out.add("");
    restart(r, out);
    out.add(String.format("Clean-up: %s; %s.",
        r.poolFreeAfterBuild ? "every slot of the pool was free after the build" : "SLOTS STILL IN USE after the build",
        r.hubFileRemoved ? "the hub file is gone (" + r.hubPath + ")" : "THE HUB FILE IS STILL THERE: " + r.hubPath));
    List<String> failures = r.failures();
    if (failures.isEmpty()) {
      out.add("Every file was built.");
    } else {
      out.add(failures.size() + (failures.size() == 1 ? " file was" : " files were") + " not built:");
      failures.forEach(f -> out.add("  " + f));
    }
    return out;
  }

  private static void restart(BuildReport r, List<String> out) {
    if (r.killRequested == null) {
      return;
    }
    KillSwitch.Kill k = r.kill;
    if (k == null) {
      out.add("Restart: plugin '" + r.killRequested + "' was not killed: it never called the host after a third of its work.");
      out.add("");
      return;
    }
    BuildReport.PluginRow row = r.plugins.stream().filter(p -> p.name.equals(k.plugin)).findFirst().orElseThrow();
    out.add(String.format("Restart: plugin '%s' (pid %d) was killed at %s with %d %s in flight;", k.plugin, k.pid,
        seconds(k.atMillis), k.callsInFlight, k.callsInFlight == 1 ? "call" : "calls"));
    out.add(k.restartMillis >= 0
        ? String.format("  it was restarted as pid %d after %d ms (%d %s), and %d %s retried.", k.newPid, k.restartMillis,
            row.restarts, row.restarts == 1 ? "restart" : "restarts", row.stats.retried(), row.stats.retried() == 1 ? "call was" : "calls were")
        : "  it did not come back.");
    out.add("");
  }

  private static String callRow(String name, String via, CallStats s, String retried) {
    return String.format("  %-14s %-4s %5d  %6d  %7s  %9s  %9s  %7s  %7s  %7s  %7s", name, via, s.calls(), s.failed(), retried,
        bytes(s.bytesSent()), bytes(s.bytesReceived()),
        millis(s.percentile(50)), millis(s.percentile(90)), millis(s.percentile(99)), millis(s.percentile(100)));
  }

  private static String samples(BuildReport r) {
    int ok = 0;
    List<String> notes = new ArrayList<>();
    for (CodeOutput c : r.samples()) {
      if (c.result() != null && !c.result().getTimedOut() && c.result().getExitStatus() == 0) {
        ok++;
      } else {
        notes.add(c.path + ": " + c.ending());
      }
    }
    return ok + " ran to status 0" + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
  }

  private static String broken(Map<String, List<BrokenLink>> broken) {
    int n = broken.values().stream().mapToInt(List::size).sum();
    return n == 0 ? "none broken" : n + " broken:";
  }

  private static String minified(String what, BuildReport.Minified m) {
    return String.format("  %-12s %3d   %s -> %s%s", what, m.files, bytes(m.bytesIn), bytes(m.bytesOut),
        m.bytesIn == 0 ? "" : String.format(" (%d%% smaller)", Math.round(100.0 * (m.bytesIn - m.bytesOut) / m.bytesIn)));
  }

  static String seconds(long millis) {
    return String.format("%.1f s", millis / 1000.0);
  }

  private static String millis(long nanos) {
    double ms = nanos / 1e6;
    return ms >= 100 ? String.format("%.0f ms", ms) : ms >= 10 ? String.format("%.1f ms", ms) : String.format("%.2f ms", ms);
  }
}
