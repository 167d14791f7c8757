package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoOptionsTest {

  @TempDir
  Path dir;

  @Test
  void defaultsComeFromTheExamplesFolder() throws IOException {
    Files.createDirectories(dir.resolve("sample-site"));
    DemoOptions o = DemoOptions.parse(new String[0], dir);
    assertEquals(dir.resolve("sample-site"), o.input);
    assertEquals(dir.resolve("target/site"), o.output);
    assertNull(o.kill);
  }

  @Test
  void optionsWithSpaceOrEquals() {
    DemoOptions o = DemoOptions.parse(new String[] {"--in=" + dir, "--out", "x", "--kill", "code-runner"}, dir);
    assertEquals(dir, o.input);
    assertEquals(Path.of("x"), o.output);
    assertEquals("code-runner", o.kill);
    assertNull(DemoOptions.parse(new String[] {"--help"}, dir));
  }

  @Test
  void remotePluginsMayBeSeveral() {
    DemoOptions o = DemoOptions.parse(new String[] {"--in", dir.toString(), "--remote", "images", "--remote=minifier"}, dir);
    assertEquals(java.util.List.of("images", "minifier"), new java.util.ArrayList<>(o.remote));
    assertTrue(DemoOptions.parse(new String[] {"--in", dir.toString()}, dir).remote.isEmpty());
  }

  @Test
  void mistakesAreExplained() {
    assertEquals("--kill takes one of minifier, images, code-runner, not 'fonts'",
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--in", dir.toString(), "--kill", "fonts"}, dir)).getMessage());
    assertEquals("--remote takes one of minifier, images, code-runner, not 'fonts'",
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--in", dir.toString(), "--remote", "fonts"}, dir)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> DemoOptions.parse(new String[] {"--in", dir.toString(), "--remote", "images", "--kill", "images"}, dir))
        .getMessage().contains("a remote plugin is not the host's to restart"));
    assertEquals("unknown option --fast",
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--fast"}, dir)).getMessage());
    assertEquals("--out needs a value",
        assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--out"}, dir)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> DemoOptions.parse(new String[] {"--in", "/no/such/dir"}, dir))
        .getMessage().startsWith("no site folder at"));
  }

  @Test
  void aWrongCommandLineExitsWithTwoAndTheUsage() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    Console console = new Console(new PrintStream(text, true, StandardCharsets.UTF_8), false);
    assertEquals(2, SiteDemo.run(new String[] {"--bogus"}, dir, console));
    assertTrue(text.toString(StandardCharsets.UTF_8).contains("usage: site-demo"));
  }

  @Test
  void refusesToEmptyAFolderItDidNotMake() throws IOException {
    Path site = Files.createDirectories(dir.resolve("site"));
    Path precious = Files.createDirectories(dir.resolve("precious"));
    Files.writeString(precious.resolve("thesis.tex"), "years of work");
    IOException e = assertThrows(IOException.class, () -> SiteBuild.prepareOutput(site, precious));
    assertTrue(e.getMessage().startsWith("refusing to empty"), e.getMessage());
    assertTrue(Files.exists(precious.resolve("thesis.tex")));
    assertThrows(IOException.class, () -> SiteBuild.prepareOutput(site, site.resolve("out")));

    Path out = dir.resolve("out");
    SiteBuild.prepareOutput(site, out);
    Files.writeString(out.resolve("old.html"), "from an earlier build");
    SiteBuild.prepareOutput(site, out);
    assertTrue(Files.exists(out.resolve(SiteBuild.OUTPUT_MARKER)));
    assertTrue(Files.notExists(out.resolve("old.html")));
  }
}
