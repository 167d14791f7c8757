package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated code compiles against runtime-core and protoc's messages with every javac lint and
 * doclint check on and warnings as errors: no unchecked, deprecation, cast or rawtypes warning leaks
 * into a user's build, and the Javadoc made from proto comments is valid (doclint rejects a stray
 * {@code @tag}, unescaped HTML or a comment that ends early).
 */
class GeneratedCodeCompilesCleanlyTest {

  private static final List<String> STRICT = List.of(
      "--release", "17", "-Xlint:all", "-Xdoclint:all,-missing", "-Werror", "-implicit:none", "-proc:none");

  @Test
  void theWholeCorpusCompilesWithoutWarnings(@TempDir Path classes) {
    compile(Corpus.files(Corpus.generate(Corpus.requestForAll(""))), classes);
  }

  @Test
  void theLiteVariantCompilesWithoutWarnings(@TempDir Path classes) {
    compile(Corpus.files(Corpus.generate(Corpus.request("lite", List.of("spoke/golden/greeter.proto")))), classes);
  }

  private static void compile(Map<String, String> sources, Path classes) {
    assertTrue(!sources.isEmpty());
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = new ArrayList<>(STRICT);
    options.addAll(List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString()));
    List<JavaFileObject> units = new ArrayList<>();
    sources.forEach((path, content) -> units.add(new Source(path, content)));
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      boolean ok = javac.getTask(null, files, diagnostics, options, null, units).call();
      List<String> messages = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        messages.add(d.getKind() + " " + (d.getSource() == null ? "" : d.getSource().getName() + ":" + d.getLineNumber())
            + " " + d.getMessage(Locale.ROOT));
      }
      assertEquals(List.of(), messages, "javac reported problems");
      assertTrue(ok, "javac failed");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static final class Source extends SimpleJavaFileObject {
    private final String content;

    Source(String path, String content) {
      super(URI.create("string:///" + path), Kind.SOURCE);
      this.content = content;
    }

    @Override
    public CharSequence getCharContent(boolean ignoreEncodingErrors) {
      return content;
    }
  }
}
