package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's "use Spoke in your project" is the examples' own code: each block marked
 * {@code <!-- example: FILE#NAME -->} must be, to the character, the region of FILE between the lines
 * that say {@code [START NAME]} and {@code [END NAME]}, less their common indentation. And the quick
 * start has exactly its two commands.
 */
class ReadmeExamplesTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize(); // surefire runs in examples/
  private static final Pattern BLOCK = Pattern.compile("<!-- example: (\\S+)#(\\S+) -->\\n```\\w*\\n(.*?)```\\n", Pattern.DOTALL);
  private static final Pattern MARK = Pattern.compile("\\[START ([\\w-]+)]");

  private static String readme() throws IOException {
    return Files.readString(ROOT.resolve("README.md"));
  }

  @Test
  void everyMarkedBlockIsTheRegionItNames() throws IOException {
    Matcher m = BLOCK.matcher(readme());
    List<String> differ = new ArrayList<>();
    int blocks = 0;
    while (m.find()) {
      blocks++;
      String region = region(ROOT.resolve(m.group(1)), m.group(2));
      if (!region.equals(m.group(3))) {
        differ.add(m.group(1) + "#" + m.group(2) + " is now:\n" + region);
      }
    }
    assertTrue(blocks >= 8, "only " + blocks + " marked blocks in the README");
    assertEquals(List.of(), differ, "README blocks that differ from the examples (paste the region in)");
  }

  @Test
  void everyRegionOfTheExamplesIsInTheReadme() throws IOException {
    Set<String> inReadme = new TreeSet<>();
    Matcher m = BLOCK.matcher(readme());
    while (m.find()) {
      inReadme.add(m.group(1) + "#" + m.group(2));
    }
    Set<String> marked = new TreeSet<>();
    try (Stream<Path> files = Stream.concat(Stream.of(ROOT.resolve("examples/pom.xml")), Files.walk(ROOT.resolve("examples/src/main")))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Matcher mark = MARK.matcher(Files.readString(f));
        while (mark.find()) {
          marked.add(ROOT.relativize(f).toString().replace('\\', '/') + "#" + mark.group(1));
        }
      }
    }
    assertEquals(marked, inReadme);
  }

  @Test
  void theReadmesVersionsAreTheBuildsOwn() throws IOException {
    String readme = readme();
    for (String property : List.of("spoke.version", "protobuf.version", "protobuf-plugin.version", "slf4j.version")) {
      Matcher m = Pattern.compile("<" + Pattern.quote(property) + ">([^<]+)</").matcher(readme);
      assertTrue(m.find(), "the README sets no " + property);
      assertEquals(System.getProperty(property), m.group(1), property);
    }
  }

  @Test
  void theQuickStartIsTwoCommands() throws IOException {
    String readme = readme();
    String quickStart = readme.substring(readme.indexOf("## Quick start"), readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1));
    Matcher code = Pattern.compile("```\\n(.*?)```", Pattern.DOTALL).matcher(quickStart);
    List<String> blocks = new ArrayList<>();
    while (code.find()) {
      blocks.add(code.group(1));
    }
    assertEquals(List.of("examples/site-demo.sh\n./mvnw -B verify\n"), blocks);
    assertTrue(Files.isExecutable(ROOT.resolve("examples/site-demo.sh")));
  }

  /** The lines strictly between the START and END marks of {@code name}, dedented, each ending in a newline. */
  static String region(Path file, String name) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int start = indexOf(lines, "[START " + name + "]", file);
    int end = indexOf(lines, "[END " + name + "]", file);
    List<String> body = lines.subList(start + 1, end);
    int indent = body.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n", "", "\n"));
  }

  private static int indexOf(List<String> lines, String mark, Path file) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(mark)) {
        return i;
      }
    }
    throw new AssertionError(file + " has no line with " + mark);
  }
}
