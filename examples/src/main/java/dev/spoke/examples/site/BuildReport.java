package dev.spoke.examples.site;

import dev.spoke.examples.site.api.BrokenLink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a build did, collected while it runs, for the summary and for tests.
 *
 * <p>Thread-safe: the build's tasks add to it concurrently.
 */
final class BuildReport {

  /** One plugin's calls and processes. */
  static final class PluginRow {
    final String name;
    final CallStats stats;
    long firstPid;
    long lastPid;
    int restarts;
    /** Where it served gRPC, when it ran as a separate server ({@code --remote}); null over the hub. */
    String remoteAddress;

    PluginRow(String name, CallStats stats) {
      this.name = name;
      this.stats = stats;
    }
  }

  /** How a size class of the hub was used. */
  static final class ClassRow {
    final int slotSize;
    final int slotCount;
    final long messages;
    final long bytes;
    final int peak;

    ClassRow(int slotSize, int slotCount, long messages, long bytes, int peak) {
      this.slotSize = slotSize;
      this.slotCount = slotCount;
      this.messages = messages;
      this.bytes = bytes;
      this.peak = peak;
    }
  }

  /** Files of one kind the minifier made smaller, and their bytes before and after. */
  static final class Minified {
    int files;
    long bytesIn;
    long bytesOut;

    Minified copy() {
      Minified m = new Minified();
      m.files = files;
      m.bytesIn = bytesIn;
      m.bytesOut = bytesOut;
      return m;
    }
  }

  /** One image: its size in, and the sizes of the two files out. */
  static final class ImageRow {
    final String path;
    final String original;
    final String web;
    final String thumbnail;

    ImageRow(String path, String original, String web, String thumbnail) {
      this.path = path;
      this.original = original;
      this.web = web;
      this.thumbnail = thumbnail;
    }
  }

  final Path input;
  final Path output;
  final String killRequested;
  final List<PluginRow> plugins = new ArrayList<>();
  CallStats hostCallbacks;
  /** The remote plugins' callbacks, which came over gRPC; null without {@code --remote}. */
  CallStats remoteCallbacks;
  /** Where the host served its service over gRPC for them, or null. */
  String callbacksAddress;
  Path hubPath;
  final List<ClassRow> sizeClasses = new ArrayList<>();
  long inlineMessages;
  int poolSamples;
  KillSwitch.Kill kill;
  long launchMillis;
  long buildMillis;
  long totalMillis;
  boolean poolFreeAfterBuild;
  boolean hubFileRemoved;

  private final Minified pages = new Minified();
  private final Minified stylesheets = new Minified();
  private int copied;
  private int linksChecked;
  private final Map<String, List<BrokenLink>> brokenLinks = new TreeMap<>();
  private final Map<String, ImageRow> images = new TreeMap<>();
  private final Map<String, CodeOutput> samples = new TreeMap<>();
  private final List<String> failures = new ArrayList<>();

  BuildReport(Path input, Path output, String killRequested) {
    this.input = input;
    this.output = output;
    this.killRequested = killRequested;
  }

  synchronized void minified(String path, boolean page, long bytesIn, long bytesOut, int links, List<BrokenLink> broken) {
    Minified m = page ? pages : stylesheets;
    m.files++;
    m.bytesIn += bytesIn;
    m.bytesOut += bytesOut;
    linksChecked += links;
    if (!broken.isEmpty()) {
      brokenLinks.put(path, List.copyOf(broken));
    }
  }

  synchronized void image(ImageRow row) {
    images.put(row.path, row);
  }

  synchronized void sample(CodeOutput output) {
    samples.put(output.path, output);
  }

  synchronized void copied() {
    copied++;
  }

  synchronized void failed(String what) {
    failures.add(what);
  }

  synchronized Minified pages() {
    return pages.copy();
  }

  synchronized Minified stylesheets() {
    return stylesheets.copy();
  }

  synchronized int copiedFiles() {
    return copied;
  }

  synchronized int linksChecked() {
    return linksChecked;
  }

  synchronized Map<String, List<BrokenLink>> brokenLinks() {
    return new TreeMap<>(brokenLinks);
  }

  synchronized List<ImageRow> images() {
    return new ArrayList<>(images.values());
  }

  synchronized List<CodeOutput> samples() {
    return new ArrayList<>(samples.values());
  }

  synchronized List<String> failures() {
    return new ArrayList<>(failures);
  }

  /** 0 when every file was built; 1 when some failed. */
  int exitCode() {
    return failures().isEmpty() ? 0 : 1;
  }
}
