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
 * The README's code is the code of projects the build builds and runs: each block marked {@code <!--
 * example: SOURCE ... -->} must be, to the character, each SOURCE it names. A SOURCE is a whole file
 * ({@code path}), or regions of one ({@code path#name}, {@code path#first+second}: the lines between
 * {@code [START name]} and {@code [END name]}, less their common indentation, regions joined by a blank
 * line). {@code @property@} values in a source (the integration tests' poms) stand for the build's own
 * versions. Every Java block is marked, and comes with its imports, so it compiles as shown. And the quick
 * start has exactly its two commands.
 */
class ReadmeExamplesTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize(); // surefire runs in examples/
  private static final Pattern BLOCK =
      Pattern.compile("^( *)<!-- example: (.+?) -->\\n\\1```\\w*\\n(.*?)\\1```\\n", Pattern.DOTALL | Pattern.MULTILINE);
  private static final Pattern FENCE = Pattern.compile("^( *)```(\\w*)\\n(.*?)^\\1```$", Pattern.DOTALL | Pattern.MULTILINE);
  private static final Pattern MARK = Pattern.compile("\\[START ([\\w-]+)]");
  private static final Pattern PROPERTY = Pattern.compile("@([\\w.-]+)@");
  /** Where regions are marked for the README. */
  private static final List<String> MARKED = List.of("examples/pom.xml", "examples/src/main", "examples/src/it");

  private static String readme() throws IOException {
    return Files.readString(ROOT.resolve("README.md"));
  }

  @Test
  void everyMarkedBlockIsTheSourcesItNames() throws IOException {
    Matcher m = BLOCK.matcher(readme());
    List<String> differ = new ArrayList<>();
    int blocks = 0;
    while (m.find()) {
      blocks++;
      String indent = m.group(1);
      String block = Stream.of(m.group(3).split("\n", -1))
          .map(l -> l.startsWith(indent) ? l.substring(indent.length()) : l).collect(Collectors.joining("\n"));
      for (String source : m.group(2).trim().split("\\s+")) {
        String text = source(source);
        if (!text.equals(block)) {
          differ.add(source + " is now:\n" + text);
        }
      }
    }
    assertTrue(blocks >= 12, "only " + blocks + " marked blocks in the README");
    assertEquals(List.of(), differ, "README blocks that differ from their sources (paste the source in)");
  }

  @Test
  void everyRegionMarkedForTheReadmeIsInIt() throws IOException {
    Set<String> inReadme = new TreeSet<>();
    Matcher m = BLOCK.matcher(readme());
    while (m.find()) {
      for (String source : m.group(2).trim().split("\\s+")) {
        int hash = source.indexOf('#');
        if (hash >= 0) {
          for (String name : source.substring(hash + 1).split("\\+")) {
            inReadme.add(source.substring(0, hash) + "#" + name);
          }
        }
      }
    }
    Set<String> marked = new TreeSet<>();
    for (String root : MARKED) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(root))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Matcher mark = MARK.matcher(Files.readString(f));
          while (mark.find()) {
            marked.add(ROOT.relativize(f).toString().replace('\\', '/') + "#" + mark.group(1));
          }
        }
      }
    }
    assertEquals(marked, inReadme);
  }

  @Test
  void everyJavaBlockIsMarkedAndComesWithItsImports() throws IOException {
    String readme = readme();
    Matcher fence = FENCE.matcher(readme);
    List<String> bad = new ArrayList<>();
    while (fence.find()) {
      if (!fence.group(2).equals("java")) {
        continue;
      }
      String before = readme.substring(0, fence.start());
      String lastLine = before.substring(before.lastIndexOf('\n', before.length() - 2) + 1).trim();
      String code = fence.group(3);
      if (!lastLine.startsWith("<!-- example: ")) {
        bad.add("not marked with its source:\n" + code);
      } else if (!code.startsWith("package ") && !code.contains("\nimport ") && !code.startsWith("import ")) {
        bad.add("no imports:\n" + code);
      }
    }
    assertEquals(List.of(), bad);
  }

  @Test
  void theReadmesVersionsAreTheBuildsOwn() throws IOException {
    String readme = readme();
    for (String property : List.of("spoke.version", "protobuf.version", "protobuf-plugin.version", "slf4j.version")) {
      Matcher m = Pattern.compile("<" + Pattern.quote(property) + ">([^<]+)</").matcher(readme);
      assertTrue(m.find(), "the README sets no " + property);
      assertEquals(System.getProperty(property), m.group(1), property);
    }
    assertTrue(readme.contains("<maven.compiler.release>17</maven.compiler.release>"), "the pom block sets no release");
    // The inspector's jar, as the README says to fetch and run it.
    // (Its name with VERSION, in prose, stands for any.)
    Matcher inspect = Pattern.compile("spoke-transport-shm[:-](\\d[^:\\s]*?)(?::jar:inspect|-inspect\\.jar)").matcher(readme);
    int found = 0;
    while (inspect.find()) {
      assertEquals(System.getProperty("spoke.version"), inspect.group(1), inspect.group());
      found++;
    }
    assertTrue(found >= 2, "the README names the inspector's jar " + found + " times");
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

  /** A whole file, or its regions joined by blank lines, with {@code @property@} replaced by the build's value. */
  static String source(String source) throws IOException {
    int hash = source.indexOf('#');
    String text;
    if (hash < 0) {
      text = Files.readString(ROOT.resolve(source));
    } else {
      Path file = ROOT.resolve(source.substring(0, hash));
      List<String> regions = new ArrayList<>();
      for (String name : source.substring(hash + 1).split("\\+")) {
        regions.add(region(file, name));
      }
      text = String.join("\n", regions);
    }
    Matcher p = PROPERTY.matcher(text);
    StringBuilder out = new StringBuilder();
    while (p.find()) {
      String name = p.group(1).equals("project.version") ? "spoke.version" : p.group(1);
      String value = System.getProperty(name);
      if (value == null) {
        throw new AssertionError(source + " uses @" + p.group(1) + "@, which the test is not given (examples/pom.xml)");
      }
      p.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    p.appendTail(out);
    return out.toString();
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
