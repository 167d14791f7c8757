package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Regenerating gives byte-identical files: nothing in the output depends on time, hash order, the order
 * protoc lists unrelated files in, or state left from an earlier run. (A separate JVM writing the same
 * bytes is checked in {@link MainTest} and, through the build's protoc run, in {@link GoldenFilesTest}.)
 */
class DeterminismTest {

  @Test
  void theSameRequestGivesTheSameBytes() {
    CodeGeneratorRequest request = Corpus.requestForAll("");
    ByteString first = Corpus.generate(request).toByteString();
    SpokeGenerator reused = new SpokeGenerator(Version.current());
    reused.generate(Corpus.requestForAll("lite")); // other work in between must leave no trace
    assertEquals(first, reused.generate(request).toByteString());
    assertEquals(first, Corpus.generate(request).toByteString());
  }

  @Test
  void theOrderOfTheRequestsFilesDoesNotMatter() {
    CodeGeneratorRequest request = Corpus.requestForAll("");
    ByteString expected = Corpus.generate(request).toByteString();
    Random random = new Random(20240611);
    for (int i = 0; i < 5; i++) {
      List<FileDescriptorProto> shuffled = new ArrayList<>(request.getProtoFileList());
      Collections.shuffle(shuffled, random);
      CodeGeneratorRequest reordered = request.toBuilder().clearProtoFile().addAllProtoFile(shuffled).build();
      assertNotEquals(request, reordered);
      assertEquals(expected, Corpus.generate(reordered).toByteString(), "shuffle " + i);
    }
  }
}
