package dev.spoke.compiler;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The test corpus (src/test/proto) as protoc compiled it at build time: a descriptor set with every file
 * and its imports, in dependency order, with source info. From it the tests build the {@link
 * CodeGeneratorRequest}s protoc sends a plugin: the files to generate, all their dependencies, and
 * source info only for the files to generate.
 */
final class Corpus {

  /** Where the build writes the corpus's descriptor set (see the compiler pom). */
  static final Path DESCRIPTOR_SET = Path.of(property("spoke.corpusDescriptorSet"));
  /** Where the build's real protoc run wrote java_out and protoc-gen-spoke's output for the corpus. */
  static final Path PROTOC_OUTPUT = Path.of(property("spoke.protocOutput"));

  private static final Map<String, FileDescriptorProto> FILES = load();

  private Corpus() {}

  static String property(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isEmpty()) {
      throw new IllegalStateException("system property " + name + " is not set; run the tests through Maven");
    }
    return value;
  }

  private static Map<String, FileDescriptorProto> load() {
    try {
      FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(DESCRIPTOR_SET));
      Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
      set.getFileList().forEach(f -> files.put(f.getName(), f));
      return files;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the corpus descriptor set " + DESCRIPTOR_SET, e);
    }
  }

  /** The descriptor of one file of the corpus or its imports. */
  static FileDescriptorProto file(String name) {
    FileDescriptorProto file = FILES.get(name);
    if (file == null) {
      throw new IllegalArgumentException("no file " + name + " in the corpus; it has " + FILES.keySet());
    }
    return file;
  }

  /** Every file in dependency order, imports (well-known types) included. */
  static List<FileDescriptorProto> allFiles() {
    return new ArrayList<>(FILES.values());
  }

  /** The corpus's own files, which the build generates code for: everything but protobuf's imports. */
  static List<String> corpusFileNames() {
    return FILES.keySet().stream().filter(name -> !name.startsWith("google/protobuf/")).toList();
  }

  /** The request protoc sends for all corpus files at once, as the build's protoc run did. */
  static CodeGeneratorRequest requestForAll(String parameter) {
    return request(parameter, corpusFileNames());
  }

  /** The request protoc sends to generate {@code filesToGenerate} with {@code parameter}. */
  static CodeGeneratorRequest request(String parameter, List<String> filesToGenerate) {
    return request(parameter, filesToGenerate, allFiles());
  }

  /**
   * A request over the given files (in dependency order), like protoc's: source info is kept only for
   * the files to generate.
   */
  static CodeGeneratorRequest request(String parameter, List<String> filesToGenerate, List<FileDescriptorProto> files) {
    CodeGeneratorRequest.Builder request = CodeGeneratorRequest.newBuilder()
        .setParameter(parameter)
        .addAllFileToGenerate(filesToGenerate);
    for (FileDescriptorProto file : files) {
      request.addProtoFile(filesToGenerate.contains(file.getName()) ? file : file.toBuilder().clearSourceCodeInfo().build());
    }
    return request.build();
  }

  /** The generated files of {@code response}, by path, failing with its error if it has one. */
  static Map<String, String> files(CodeGeneratorResponse response) {
    if (response.hasError()) {
      throw new AssertionError("the generator reported an error: " + response.getError());
    }
    Map<String, String> files = new LinkedHashMap<>();
    for (CodeGeneratorResponse.File file : response.getFileList()) {
      if (files.put(file.getName(), file.getContent()) != null) {
        throw new AssertionError("the generator wrote " + file.getName() + " twice");
      }
    }
    return files;
  }

  /** Runs the generator in-process, with the version from the jar's resource. */
  static CodeGeneratorResponse generate(CodeGeneratorRequest request) {
    return new SpokeGenerator(Version.current()).generate(request);
  }
}
