package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The generator's output for the test corpus, compared with the checked-in golden files under
 * {@code src/test/golden/<case>/}, one {@code .java.txt} per generated file.
 *
 * <p>The generator runs in-process on the requests protoc sends (built from the descriptor set protoc
 * wrote at build time, see {@link Corpus}). Goldens hold the output with the version in the header
 * replaced by {@value #VERSION_PLACEHOLDER}, so that a release does not change them.
 *
 * <p>To accept a deliberate change of the output, regenerate the goldens and review the diff:
 * <pre>
 * ./mvnw -B -pl compiler -am verify -Dspoke.regenerateGoldens=true
 * git diff compiler/src/test/golden
 * </pre>
 */
class GoldenFilesTest {

  static final String VERSION_PLACEHOLDER = "<version>";
  private static final Path GOLDEN = Path.of(Corpus.property("spoke.goldenDirectory"));
  private static final boolean REGENERATE = Boolean.getBoolean("spoke.regenerateGoldens");

  @Test
  void everyCorpusFileMatchesItsGolden() throws IOException {
    Map<String, String> generated = Corpus.files(Corpus.generate(Corpus.requestForAll("")));
    check("default", generated);
  }

  @Test
  void liteParameterMatchesItsGolden() throws IOException {
    Map<String, String> generated = Corpus.files(Corpus.generate(
        Corpus.request("lite", List.of("spoke/golden/greeter.proto"))));
    check("lite-parameter", generated);
  }

  /**
   * The build's real protoc run (java_out plus this plugin, launched by the ascopes Maven plugin) wrote
   * exactly what the in-process run writes: the requests the golden tests build are the ones protoc
   * sends, and a separate JVM produces the same bytes.
   */
  @Test
  void realProtocRunWroteTheSameFiles() throws IOException {
    Map<String, String> inProcess = Corpus.files(Corpus.generate(Corpus.requestForAll("")));
    for (Map.Entry<String, String> file : inProcess.entrySet()) {
      Path written = Corpus.PROTOC_OUTPUT.resolve(file.getKey());
      assertTrue(Files.exists(written), () -> "the protoc run did not write " + written);
      assertEquals(file.getValue(), Files.readString(written, StandardCharsets.UTF_8),
          () -> "the protoc run wrote a different " + file.getKey());
    }
    try (Stream<Path> all = Files.walk(Corpus.PROTOC_OUTPUT)) {
      List<String> spokeFiles = all.filter(p -> p.toString().endsWith("Spoke.java"))
          .map(p -> Corpus.PROTOC_OUTPUT.relativize(p).toString().replace('\\', '/'))
          .sorted().toList();
      assertEquals(new TreeSet<>(inProcess.keySet()), new TreeSet<>(spokeFiles));
    }
  }

  @Test
  void aFileWithoutServicesGeneratesNothing() {
    Map<String, String> generated = Corpus.files(Corpus.generate(
        Corpus.request("", List.of("spoke/golden/no_service.proto"))));
    assertEquals(Map.of(), generated);
  }

  @Test
  void everyServiceOfTheCorpusHasItsOwnFile() {
    Map<String, String> generated = Corpus.files(Corpus.generate(Corpus.requestForAll("")));
    long services = Corpus.corpusFileNames().stream().mapToLong(f -> Corpus.file(f).getServiceCount()).sum();
    assertEquals(services, generated.size());
    assertTrue(generated.containsKey("dev/spoke/golden/several/AlphaSpoke.java"));
    assertTrue(generated.containsKey("dev/spoke/golden/several/BetaSpoke.java"));
    assertTrue(generated.containsKey("dev/spoke/golden/several/IdleSpoke.java"));
    assertTrue(generated.containsKey("AnonymousSpoke.java"), "no_package.proto goes to the unnamed package");
  }

  /** Compares {@code generated} with the goldens of {@code goldenCase}, or rewrites them. */
  private static void check(String goldenCase, Map<String, String> generated) throws IOException {
    Path directory = GOLDEN.resolve(goldenCase);
    Map<String, String> normalized = new TreeMap<>();
    generated.forEach((path, content) -> normalized.put(path + ".txt", withoutVersion(content)));
    if (REGENERATE) {
      rewrite(directory, normalized);
      return;
    }
    assertTrue(Files.isDirectory(directory), () -> "no goldens at " + directory + "; " + howToRegenerate());
    TreeSet<String> goldenPaths = goldenFiles(directory);
    assertEquals(goldenPaths, new TreeSet<>(normalized.keySet()),
        () -> "the generated files are not the golden ones; " + howToRegenerate());
    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, String> file : normalized.entrySet()) {
      String expected = Files.readString(directory.resolve(file.getKey()), StandardCharsets.UTF_8);
      String difference = firstDifference(expected, file.getValue());
      if (difference != null) {
        differences.add(goldenCase + "/" + file.getKey() + ": " + difference);
      }
    }
    if (!differences.isEmpty()) {
      fail(String.join("\n", differences) + "\n" + howToRegenerate());
    }
  }

  static String withoutVersion(String content) {
    String header = "// Generated by protoc-gen-spoke " + Version.current() + " ";
    assertTrue(content.startsWith(header), () -> "the header does not name the version: " + content.lines().findFirst());
    return "// Generated by protoc-gen-spoke " + VERSION_PLACEHOLDER + " " + content.substring(header.length());
  }

  private static void rewrite(Path directory, Map<String, String> files) throws IOException {
    if (Files.isDirectory(directory)) {
      for (String stale : goldenFiles(directory)) {
        Files.delete(directory.resolve(stale));
      }
    }
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path target = directory.resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
    }
  }

  private static TreeSet<String> goldenFiles(Path directory) throws IOException {
    try (Stream<Path> all = Files.walk(directory)) {
      return all.filter(Files::isRegularFile)
          .map(p -> directory.relativize(p).toString().replace('\\', '/'))
          .collect(TreeSet::new, TreeSet::add, TreeSet::addAll);
    }
  }

  /** Where two texts first differ, by line, or null if they are equal. */
  private static String firstDifference(String expected, String actual) {
    if (expected.equals(actual)) {
      return null;
    }
    List<String> e = expected.lines().toList();
    List<String> a = actual.lines().toList();
    for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
      String el = i < e.size() ? e.get(i) : "<end of file>";
      String al = i < a.size() ? a.get(i) : "<end of file>";
      if (!el.equals(al)) {
        return "line " + (i + 1) + " differs:\n  golden:    " + el + "\n  generated: " + al;
      }
    }
    return "the line endings or the final newline differ";
  }

  private static String howToRegenerate() {
    return "if the change is intended, run ./mvnw -B -pl compiler -am verify -Dspoke.regenerateGoldens=true"
        + " and review git diff compiler/src/test/golden";
  }
}
