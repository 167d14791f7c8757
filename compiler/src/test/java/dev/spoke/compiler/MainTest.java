package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The plugin as protoc runs it: bytes in on stdin, bytes out on stdout, an exit code. stdout is the
 * protocol channel, so these tests compare it byte for byte with the response and nothing else.
 */
class MainTest {

  @Test
  void aBadParameterIsAResponseErrorWithExitCodeZero() throws Exception {
    CodeGeneratorRequest request = Corpus.request("nonsense", List.of("spoke/golden/greeter.proto"));
    Run run = runInProcess(request.toByteArray());
    assertEquals(0, run.exitCode);
    assertEquals("", run.stderr);
    CodeGeneratorResponse response = CodeGeneratorResponse.parseFrom(run.stdout);
    assertTrue(response.getError().startsWith("unknown protoc-gen-spoke parameter 'nonsense'"), response.getError());
    assertArrayEquals(response.toByteArray(), run.stdout, "stdout holds the response and nothing else");
  }

  @Test
  void stdinThatIsNotARequestIsReportedOnStderr() {
    Run run = runInProcess("hello, I am not a protobuf\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(1, run.exitCode);
    assertEquals(0, run.stdout.length);
    assertTrue(run.stderr.startsWith("protoc-gen-spoke: stdin does not hold a CodeGeneratorRequest"), run.stderr);
    assertEquals(1, run.stderr.lines().count(), "one line, no stack trace: " + run.stderr);
  }

  @Test
  void versionAndHelpOnTheCommandLine() {
    Run version = runInProcess(new byte[0], "--version");
    assertEquals(0, version.exitCode);
    assertEquals("protoc-gen-spoke " + Version.current() + System.lineSeparator(),
        new String(version.stdout, StandardCharsets.UTF_8));
    Run help = runInProcess(new byte[0], "--help");
    assertEquals(0, help.exitCode);
    assertTrue(new String(help.stdout, StandardCharsets.UTF_8).contains("lite"));
    Run unknown = runInProcess(new byte[0], "--frobnicate");
    assertEquals(2, unknown.exitCode);
    assertEquals(0, unknown.stdout.length);
    assertTrue(unknown.stderr.contains("unknown arguments --frobnicate"), unknown.stderr);
  }

  @Test
  void theVersionIsTheProjectVersion() {
    assertEquals(Corpus.property("spoke.projectVersion"), Version.current());
  }

  /** A separate JVM, as protoc starts it: the error case exits 0 with only the response on stdout. */
  @Test
  void inASeparateProcessAnInputItCannotHandleGivesACleanError() throws Exception {
    CodeGeneratorRequest request = Corpus.request("", List.of("spoke/golden/greeter.proto")).toBuilder()
        .setProtoFile(Corpus.allFiles().indexOf(Corpus.file("spoke/golden/greeter.proto")),
            Corpus.file("spoke/golden/greeter.proto").toBuilder().setSyntax("editions")
                .setEdition(com.google.protobuf.DescriptorProtos.Edition.EDITION_2026))
        .build();
    Run run = runInSubprocess(request.toByteArray());
    assertEquals(0, run.exitCode, run.stderr);
    assertEquals("", run.stderr);
    CodeGeneratorResponse response = CodeGeneratorResponse.parseFrom(run.stdout);
    assertEquals("spoke/golden/greeter.proto uses edition 2026, which protoc-gen-spoke does not support (it supports "
        + "proto2, proto3 and editions up to edition 2024)", response.getError());
    assertEquals(0, response.getFileCount());
    assertArrayEquals(response.toByteArray(), run.stdout, "stdout holds the response and nothing else");
  }

  /**
   * A fresh JVM given one small file (nothing before the generator has touched protobuf's descriptors):
   * protobuf-java's own static initializers must run in the one order that works.
   */
  @Test
  void inAFreshProcessASingleSimpleFileIsGenerated() throws Exception {
    com.google.protobuf.DescriptorProtos.FileDescriptorProto file = com.google.protobuf.DescriptorProtos.FileDescriptorProto
        .newBuilder().setName("s.proto").setPackage("s").setSyntax("proto3")
        .addMessageType(com.google.protobuf.DescriptorProtos.DescriptorProto.newBuilder().setName("M"))
        .addService(com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.newBuilder().setName("S")
            .addMethod(com.google.protobuf.DescriptorProtos.MethodDescriptorProto.newBuilder()
                .setName("Do").setInputType(".s.M").setOutputType(".s.M")))
        .build();
    CodeGeneratorRequest request = CodeGeneratorRequest.newBuilder().addFileToGenerate("s.proto").addProtoFile(file).build();
    Run run = runInSubprocess(request.toByteArray());
    assertEquals(0, run.exitCode, run.stderr);
    assertEquals("", run.stderr);
    CodeGeneratorResponse response = CodeGeneratorResponse.parseFrom(run.stdout);
    assertEquals("", response.getError());
    assertEquals("s/SSpoke.java", response.getFile(0).getName());
  }

  /** A separate JVM writes exactly the bytes the in-process generator returns, for the whole corpus. */
  @Test
  void inASeparateProcessTheOutputIsByteIdentical() throws Exception {
    CodeGeneratorRequest request = Corpus.requestForAll("");
    Run run = runInSubprocess(request.toByteArray());
    assertEquals(0, run.exitCode, run.stderr);
    assertEquals("", run.stderr);
    assertArrayEquals(Corpus.generate(request).toByteArray(), run.stdout);
  }

  private record Run(int exitCode, byte[] stdout, String stderr) {}

  private static Run runInProcess(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exitCode = Main.run(args, new ByteArrayInputStream(stdin), out, new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exitCode, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
  }

  private static Run runInSubprocess(byte[] stdin) throws IOException, InterruptedException, Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
        Main.class.getName()).start();
    CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin);
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("protoc-gen-spoke did not exit within 60 s");
    }
    return new Run(process.exitValue(), stdout.get(10, TimeUnit.SECONDS),
        new String(stderr.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
