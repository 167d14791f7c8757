package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code examples/site-demo.sh --help} prints the demo's usage at once, without building anything. */
class SiteDemoScriptTest {

  @TempDir
  Path dir;

  @Test
  void helpPrintsTheUsageWithoutABuild() throws Exception {
    // The script beside a stand-in for the Maven Wrapper that only leaves a mark if it is run.
    Path examples = Files.createDirectories(dir.resolve("examples"));
    Files.copy(ReadmeExamplesTest.ROOT.resolve("examples/site-demo.sh"), examples.resolve("site-demo.sh"));
    Path mvnw = dir.resolve("mvnw");
    Path mark = dir.resolve("built");
    Files.writeString(mvnw, "#!/bin/sh\ntouch '" + mark + "'\nexit 1\n");
    Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwx------"));
    for (String help : new String[] {"--help", "-h"}) {
      Process p = new ProcessBuilder("sh", examples.resolve("site-demo.sh").toString(), "--kill", "images", help)
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(true, p.waitFor(10, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), out);
      assertEquals(DemoOptions.USAGE + "\n", out);
      assertFalse(Files.exists(mark), "--help ran a build");
    }
  }

  @Test
  void withoutHelpItBuildsFirst() throws IOException, InterruptedException {
    Path examples = Files.createDirectories(dir.resolve("examples"));
    Files.copy(ReadmeExamplesTest.ROOT.resolve("examples/site-demo.sh"), examples.resolve("site-demo.sh"));
    Path mvnw = dir.resolve("mvnw");
    Path mark = dir.resolve("built");
    Files.writeString(mvnw, "#!/bin/sh\ntouch '" + mark + "'\nexit 1\n");
    Files.setPosixFilePermissions(mvnw, PosixFilePermissions.fromString("rwx------"));
    Process p = new ProcessBuilder("sh", examples.resolve("site-demo.sh").toString(), "--kill", "images")
        .redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    assertEquals(true, p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue(), "the stand-in build fails, and so does the script");
    assertEquals(true, Files.exists(mark), "the script did not build");
  }
}
