package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.host.PluginAssertionCheck;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo from end to end, as the README runs it: three real plugin processes build the bundled
 * sample site; then the output is checked file by file. A second build kills the image plugin
 * part-way and must still produce the whole site; a third runs the image plugin as a separate gRPC
 * server on loopback and must produce the same site.
 */
@ExtendWith(PluginAssertionCheck.class) // a plugin's failed assertion of Spoke's code fails the build it ran in
class SiteDemoTest {

  static final Path HOME = Path.of(".").toAbsolutePath().normalize(); // surefire runs in examples/
  static final Path SAMPLE = HOME.resolve("sample-site");

  private static final Pattern TAG = Pattern.compile("<(/?)([a-zA-Z][a-zA-Z0-9]*)\\b[^>]*>");
  private static final Pattern COMMENT = Pattern.compile("<!--.*?-->", Pattern.DOTALL);
  private static final Pattern RUN_OUTPUT = Pattern.compile("(<pre[^>]*\\bdata-run=\"[^\"]*\"[^>]*>).*?(</pre>)", Pattern.DOTALL);
  private static final Pattern LINK = Pattern.compile("\\b(?:href|src)=\"([^\"]*)\"");
  private static final Set<String> VOID = Set.of("area", "base", "br", "col", "embed", "hr", "img", "input", "link",
      "meta", "source", "track", "wbr");

  @TempDir
  static Path dir;

  private static BuildReport plain;
  private static String plainSummary;
  private static Path plainOut;

  @BeforeAll
  static void buildTheSampleSite() throws IOException {
    plainOut = dir.resolve("site");
    Console console = new Console(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false);
    plain = SiteDemo.build(new DemoOptions(SAMPLE, plainOut, null), console);
    plainSummary = String.join("\n", Summary.lines(plain));
  }

  @Test
  void theWholeSiteIsBuiltAndTheHubIsGone() throws IOException {
    assertEquals(List.of(), plain.failures(), plainSummary);
    assertEquals(0, plain.exitCode());
    assertEquals(expectedOutputs(), files(plainOut), plainSummary);
    assertTrue(plain.poolFreeAfterBuild, plainSummary);
    assertTrue(plain.hubFileRemoved, plainSummary);
    assertFalse(Files.exists(plain.hubPath));
  }

  @Test
  void pagesAreSmallerWithTheSameElementsAndText() throws IOException {
    SiteFiles site = SiteFiles.scan(SAMPLE);
    assertTrue(site.pages.size() >= 30, "the sample site has a few dozen pages");
    for (String page : site.pages) {
      String in = Files.readString(SAMPLE.resolve(page));
      String out = Files.readString(plainOut.resolve(page));
      assertTrue(out.length() < in.length(), page + " got no smaller");
      String outWithoutRuns = RUN_OUTPUT.matcher(out).replaceAll("$1$2");
      assertEquals(tags(in), tags(outWithoutRuns), page + ": the elements changed");
      assertEquals(words(in), words(outWithoutRuns), page + ": the text changed");
      assertBalanced(page, out);
      assertFalse(out.contains("<!--"), page + " kept a comment");
    }
    assertEquals(site.pages.size(), plain.pages().files);
  }

  @Test
  void everyLinkOfTheBuiltSiteLeadsToAFileButTheOneBrokenOnPurpose() throws IOException {
    List<String> broken = new ArrayList<>();
    for (String page : SiteFiles.scan(SAMPLE).pages) {
      Matcher m = LINK.matcher(Files.readString(plainOut.resolve(page)));
      while (m.find()) {
        String href = m.group(1);
        if (href.startsWith("https:") || href.startsWith("#")) {
          continue;
        }
        Path target = plainOut.resolve(page).getParent().resolve(href.replaceFirst("#.*$", "")).normalize();
        if (!Files.isRegularFile(target)) {
          broken.add(page + " -> " + href);
        }
      }
    }
    assertEquals(List.of("blog/post-09.html -> post-99.html"), broken);
    assertEquals(Set.of("blog/post-09.html"), plain.brokenLinks().keySet());
    assertTrue(plain.linksChecked() > 500, "links checked: " + plain.linksChecked());
  }

  @Test
  void stylesheetsAreSmallerAndBalanced() throws IOException {
    for (String css : SiteFiles.scan(SAMPLE).stylesheets) {
      String in = Files.readString(SAMPLE.resolve(css));
      String out = Files.readString(plainOut.resolve(css));
      assertTrue(out.length() < in.length(), css);
      assertFalse(out.contains("/*"), css + " kept a comment");
      assertEquals(count(in, '{'), count(out, '{'), css);
      assertEquals(count(out, '{'), count(out, '}'), css);
    }
  }

  @Test
  void imagesAreScaledAndThumbnailsGrey() throws IOException {
    List<String> images = SiteFiles.scan(SAMPLE).images;
    assertEquals(11, images.size());
    for (String image : images) {
      BufferedImage original = ImageIO.read(SAMPLE.resolve(image).toFile());
      BufferedImage web = ImageIO.read(plainOut.resolve(image).toFile());
      BufferedImage thumbnail = ImageIO.read(plainOut.resolve(SiteFiles.thumbnailOf(image)).toFile());
      int webWidth = Math.min(SiteBuild.WEB_WIDTH, original.getWidth());
      assertEquals(webWidth, web.getWidth(), image);
      assertEquals(Math.round((double) original.getHeight() * webWidth / original.getWidth()), web.getHeight(), image);
      int thumbnailWidth = Math.min(SiteBuild.THUMBNAIL_WIDTH, web.getWidth());
      assertEquals(thumbnailWidth, thumbnail.getWidth(), image);
      assertEquals(Math.round((double) web.getHeight() * thumbnailWidth / web.getWidth()), thumbnail.getHeight(), image);
      assertGrey(image, thumbnail);
    }
  }

  @Test
  void theLargeSizeClassesCarriedTheImages() {
    List<BuildReport.ClassRow> classes = plain.sizeClasses;
    assertEquals(4 << 20, classes.get(3).slotSize);
    assertEquals(16 << 20, classes.get(4).slotSize);
    assertTrue(classes.get(3).messages > 0 && classes.get(4).messages > 0, plainSummary);
    assertTrue(classes.get(4).bytes > 50L << 20, plainSummary);
    assertTrue(plainSummary.contains("16 MiB") && plainSummary.contains("4 MiB"), plainSummary);
  }

  @Test
  void codeOutputIsCapturedAndTheRunawayIsKilledWithItsHelper() throws IOException {
    assertTrue(read("samples/hello.out.txt").startsWith("Hello from a code sample.\n"));
    assertTrue(read("samples/countdown.out.txt").contains("3...\n2...\n1...\nlift-off\n[exit status 0 in "));
    assertTrue(read("samples/primes.out.txt").contains("primes below 200: 2 3 5 7 11"));
    assertTrue(read("samples/wordcount.out.txt").matches("(?s)\\s*6 the\n.*"), read("samples/wordcount.out.txt"));
    String fails = read("samples/fails.out.txt");
    assertTrue(fails.contains("[stderr] error: no configuration in "), fails);
    assertTrue(fails.endsWith("[exit status 3 in " + fails.substring(fails.lastIndexOf(" in ") + 4)), fails);
    String runaway = read("samples/runaway.out.txt");
    assertTrue(runaway.contains("tick 1\n") && runaway.contains("[timed out after "), runaway);
    Matcher helper = Pattern.compile("started a helper, process (\\d+)").matcher(runaway);
    assertTrue(helper.find(), runaway);
    long pid = Long.parseLong(helper.group(1));
    Conditions.waitUntil("the runaway's helper " + pid + " is gone", Duration.ofSeconds(10), () -> Conditions.dead(pid));
    String page = read("code/countdown.html");
    assertTrue(page.contains("<pre class=\"output\" data-run=\"samples/countdown.sh\">3...\n2...\n1...\nlift-off\n"), page);
    assertEquals(8, plain.samples().size());
  }

  @Test
  void theSummaryHasTheFigures() {
    for (String expected : List.of("pages         38", "minifier", "images", "code-runner", "host callbacks", "p50",
        "p99", "Hub size classes", "every slot of the pool was free", "the hub file is gone", "Every file was built.")) {
      assertTrue(plainSummary.contains(expected), "no '" + expected + "' in\n" + plainSummary);
    }
    for (BuildReport.PluginRow row : plain.plugins) {
      assertTrue(row.stats.calls() > 0, row.name);
      assertEquals(0, row.stats.failed(), row.name);
      assertEquals(0, row.restarts, row.name);
      assertTrue(row.firstPid > 0 && row.firstPid == row.lastPid, row.name);
    }
  }

  @Test
  void killingAPluginPartWayStillBuildsTheWholeSite() throws IOException {
    Path out = dir.resolve("site-kill");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Console console = new Console(new PrintStream(text, true, StandardCharsets.UTF_8), false);
    int status = SiteDemo.run(new String[] {"--in", SAMPLE.toString(), "--out", out.toString(), "--kill", "images"}, HOME, console);
    String output = text.toString(StandardCharsets.UTF_8);

    assertEquals(0, status, output);
    assertEquals(expectedOutputs(), files(out), output);
    for (String image : SiteFiles.scan(SAMPLE).images) {
      assertEquals(ImageIO.read(plainOut.resolve(image).toFile()).getWidth(), ImageIO.read(out.resolve(image).toFile()).getWidth());
      assertGrey(image, ImageIO.read(out.resolve(SiteFiles.thumbnailOf(image)).toFile()));
    }
    Matcher kill = Pattern.compile("Restart: plugin 'images' \\(pid (\\d+)\\) was killed at [0-9.]+ s with (\\d+) calls? in flight;\n"
        + "  it was restarted as pid (\\d+) after \\d+ ms \\(1 restart\\), and (\\d+) calls? (?:was|were) retried\\.").matcher(output);
    assertTrue(kill.find(), output);
    assertNotEquals(kill.group(1), kill.group(3), "a new process");
    assertTrue(Integer.parseInt(kill.group(2)) >= 1, "killed inside a call of the host's: at least that call was in flight");
    assertTrue(Integer.parseInt(kill.group(4)) >= 1, "the calls in flight were retried");
    assertTrue(output.contains("Every file was built."), output);
    assertTrue(output.contains("the hub file is gone"), output);
  }

  @Test
  void aPluginServingGrpcOnLoopbackBuildsTheSameSite() throws IOException {
    Path out = dir.resolve("site-remote");
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Console console = new Console(new PrintStream(text, true, StandardCharsets.UTF_8), false);
    int status = SiteDemo.run(new String[] {"--in", SAMPLE.toString(), "--out", out.toString(), "--remote", "images"}, HOME, console);
    String output = text.toString(StandardCharsets.UTF_8);

    assertEquals(0, status, output);
    assertEquals(expectedOutputs(), files(out), output);
    for (String image : SiteFiles.scan(SAMPLE).images) {
      for (String file : List.of(image, SiteFiles.thumbnailOf(image))) {
        assertArrayEquals(Files.readAllBytes(plainOut.resolve(file)), Files.readAllBytes(out.resolve(file)),
            file + " is the same whichever way the plugin was reached");
      }
    }
    Matcher images = Pattern.compile("\n  images +gRPC +(\\d+) +0 ").matcher(output);
    assertTrue(images.find(), output);
    assertTrue(Integer.parseInt(images.group(1)) >= 5 * SiteFiles.scan(SAMPLE).images.size(), output);
    Matcher callbacks = Pattern.compile("\n  host callbacks +gRPC +(\\d+) +0 ").matcher(output);
    assertTrue(callbacks.find() && Integer.parseInt(callbacks.group(1)) > 0, "the image plugin fetched its PNGs over gRPC\n" + output);
    assertTrue(Pattern.compile("\n  minifier +hub +\\d+ +0 ").matcher(output).find(), output);
    assertTrue(output.contains("images ran as a separate process (pid "), output);
    assertTrue(output.contains("serving gRPC on 127.0.0.1:"), output);
    assertTrue(output.contains("Every file was built."), output);
    assertTrue(output.contains("the hub file is gone"), output);
  }

  // ---------------------------------------------------------------------------------------------

  /** What a build of the sample site must write: every input file, a thumbnail per PNG, an output per sample. */
  private static Set<String> expectedOutputs() throws IOException {
    SiteFiles site = SiteFiles.scan(SAMPLE);
    Set<String> expected = new TreeSet<>(site.outputs);
    site.samples.forEach(s -> expected.add(s.replaceFirst("\\.sh$", ".out.txt")));
    expected.add(SiteBuild.OUTPUT_MARKER);
    return expected;
  }

  private static Set<String> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static String read(String path) throws IOException {
    return Files.readString(plainOut.resolve(path));
  }

  private static List<String> tags(String html) {
    List<String> tags = new ArrayList<>();
    Matcher m = TAG.matcher(COMMENT.matcher(html).replaceAll(""));
    while (m.find()) {
      tags.add(m.group(1) + m.group(2).toLowerCase());
    }
    return tags;
  }

  private static List<String> words(String html) {
    String text = TAG.matcher(COMMENT.matcher(html).replaceAll("")).replaceAll(" ").replaceAll("<!DOCTYPE[^>]*>", " ");
    return List.of(text.trim().split("\\s+"));
  }

  private static void assertBalanced(String page, String html) {
    Deque<String> open = new ArrayDeque<>();
    for (String tag : tags(html)) {
      String name = tag.startsWith("/") ? tag.substring(1) : tag;
      if (VOID.contains(name)) {
        continue;
      }
      if (tag.startsWith("/")) {
        assertEquals(name, open.poll(), page + ": </" + name + "> closes something else");
      } else {
        open.push(name);
      }
    }
    assertEquals(List.of(), new ArrayList<>(open), page + ": elements left open");
  }

  private static void assertGrey(String image, BufferedImage thumbnail) {
    for (int y = 0; y < thumbnail.getHeight(); y++) {
      for (int x = 0; x < thumbnail.getWidth(); x++) {
        int rgb = thumbnail.getRGB(x, y);
        int r = rgb >> 16 & 0xFF;
        int g = rgb >> 8 & 0xFF;
        int b = rgb & 0xFF;
        if (r != g || g != b) {
          throw new AssertionError(image + ": the thumbnail is not grey at " + x + "," + y + ": " + Integer.toHexString(rgb));
        }
      }
    }
  }

  private static int count(String s, char c) {
    return (int) s.chars().filter(ch -> ch == c).count();
  }
}
