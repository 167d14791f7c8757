package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.Edition;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileOptions;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Input the generator cannot turn into correct code: each gives a response whose {@code error} names the
 * file and the reason, with no files (so protoc writes nothing), and the capabilities still declared.
 */
class GeneratorErrorsTest {

  @Test
  void anUnknownParameterListsTheValidOnes() {
    String error = error(Corpus.request("lite,fast", List.of("spoke/golden/greeter.proto")));
    assertEquals("unknown protoc-gen-spoke parameter 'fast'; valid parameters (comma-separated): lite (generate for "
        + "protobuf-javalite messages (no protobuf descriptor in the service descriptor))", error);
  }

  @Test
  void aNewerEditionIsRefusedRatherThanGuessed() {
    FileDescriptorProto file = file("p/new.proto", "p").setSyntax("editions").setEdition(Edition.EDITION_2026)
        .addMessageType(message("M")).addService(service("S", rpc("Call", ".p.M", ".p.M"))).build();
    assertEquals("p/new.proto uses edition 2026, which protoc-gen-spoke does not support (it supports proto2, proto3 "
        + "and editions up to edition 2024)", error(request(file)));
  }

  @Test
  void anUnknownSyntaxIsRefused() {
    FileDescriptorProto file = file("p/odd.proto", "p").setSyntax("proto4").build();
    assertEquals("p/odd.proto has syntax \"proto4\", which protoc-gen-spoke does not know", error(request(file)));
  }

  @Test
  void aMessageFromANewerEditionIsRefused() {
    FileDescriptorProto dependency = file("p/types.proto", "p").setSyntax("editions").setEdition(Edition.EDITION_2026)
        .addMessageType(message("M")).build();
    FileDescriptorProto file = file("p/service.proto", "p").setSyntax("proto3").addDependency("p/types.proto")
        .addService(service("S", rpc("Call", ".p.M", ".p.M"))).build();
    assertEquals("p/service.proto: rpc p.S.Call uses p.M from p/types.proto, but that file uses edition 2026, which "
        + "protoc-gen-spoke does not support (it supports proto2, proto3 and editions up to edition 2024)",
        error(request(List.of("p/service.proto"), dependency, file)));
  }

  @Test
  void anExplicitOuterClassNameThatNamesATypeIsRefusedAsProtocDoes() {
    FileDescriptorProto file = file("p/thing.proto", "p")
        .setOptions(FileOptions.newBuilder().setJavaOuterClassname("Thing"))
        .addMessageType(message("Thing")).addService(service("S", rpc("Call", ".p.Thing", ".p.Thing"))).build();
    assertEquals("p/thing.proto: java_outer_classname \"Thing\" is also the name of a type declared in the file, so "
        + "protoc cannot generate Java for it; choose another java_outer_classname or rename the type",
        error(request(file)));
  }

  @Test
  void theSpokeClassMayNotReplaceTheFilesOuterClass() {
    // greeter_spoke.proto's outer class is GreeterSpoke, the name of the class for service Greeter.
    FileDescriptorProto file = file("p/greeter_spoke.proto", "p")
        .addMessageType(message("M")).addService(service("Greeter", rpc("Call", ".p.M", ".p.M"))).build();
    assertEquals("p/greeter_spoke.proto: the class GreeterSpoke generated for service p.Greeter would have the same "
        + "name as a class protoc generates in package 'p' (a message, an enum, or a file's outer class); rename one "
        + "of them, or set java_outer_classname", error(request(file)));
  }

  @Test
  void theSpokeClassMayNotReplaceATopLevelMessageClass() {
    FileDescriptorProto file = file("p/greeter.proto", "p")
        .setOptions(FileOptions.newBuilder().setJavaMultipleFiles(true))
        .addMessageType(message("GreeterSpoke")).addService(service("Greeter", rpc("Call", ".p.GreeterSpoke", ".p.GreeterSpoke")))
        .build();
    assertTrue(error(request(file)).startsWith("p/greeter.proto: the class GreeterSpoke generated for service p.Greeter"));
  }

  @Test
  void twoServicesMayNotShareAnOutputFile() {
    FileOptions samePackage = FileOptions.newBuilder().setJavaPackage("com.example").build();
    FileDescriptorProto a = file("a/svc.proto", "a").setOptions(samePackage)
        .addMessageType(message("M")).addService(service("Greeter", rpc("Call", ".a.M", ".a.M"))).build();
    FileDescriptorProto b = file("b/svc.proto", "b").setOptions(samePackage)
        .addMessageType(message("M")).addService(service("Greeter", rpc("Call", ".b.M", ".b.M"))).build();
    assertEquals("b/svc.proto: protoc-gen-spoke would write com/example/GreeterSpoke.java for a service of b/svc.proto "
        + "and for one of a/svc.proto; give the files different java_package options or rename one of the services",
        error(request(List.of("a/svc.proto", "b/svc.proto"), a, b)));
  }

  @Test
  void rpcsWhoseJavaMethodNamesCollideAreRefused() {
    FileDescriptorProto file = file("p/s.proto", "p").addMessageType(message("M"))
        .addService(service("S", rpc("GetFoo", ".p.M", ".p.M"), rpc("getFoo", ".p.M", ".p.M"))).build();
    assertEquals("p/s.proto: the rpcs GetFoo and getFoo of service p.S would both be named getFoo in Java; rename one "
        + "of them", error(request(file)));
  }

  @Test
  void anEdition2024OuterClassNameThatNamesATypeIsRefusedAsProtocDoes() {
    // protoc 2024 no longer appends OuterClass: "clash.proto" derives ClashProto, and a message has that name.
    FileDescriptorProto file = file("p/clash.proto", "p").setSyntax("editions").setEdition(Edition.EDITION_2024)
        .addMessageType(message("ClashProto")).addService(service("S", rpc("Call", ".p.ClashProto", ".p.ClashProto")))
        .build();
    assertEquals("p/clash.proto: the outer class name protoc derives for it, \"ClashProto\", is also the name of a type"
        + " declared in the file, so protoc cannot generate Java for it; set java_outer_classname or rename the type",
        error(request(file)));
  }

  @Test
  void aServiceNameTooLongForAClassFileIsRefusedSayingByHowMuch() {
    String name = "S" + "x".repeat(115); // <Name>Spoke$<Name>BlockingStub.class: 2 x 116 + 24 = 256 bytes
    FileDescriptorProto file = file("p/long.proto", "p").addMessageType(message("M"))
        .addService(service(name, rpc("Call", ".p.M", ".p.M"))).build();
    String error = error(request(file));
    assertTrue(error.startsWith("p/long.proto: the name of service " + name + " (116 characters) is too long for Java"
        + " class files: "), error);
    assertTrue(error.endsWith("would be 256 bytes, and file systems allow 255; shorten the service name by at least 1"
        + " characters"), error);
    // One character shorter fits.
    FileDescriptorProto fits = file("p/long.proto", "p").addMessageType(message("M"))
        .addService(service(name.substring(1), rpc("Call", ".p.M", ".p.M"))).build();
    assertFalse(Corpus.generate(request(fits)).hasError());
  }

  @Test
  void anRpcTypeNoFileDeclaresIsRefused() {
    FileDescriptorProto file = file("p/s.proto", "p").addMessageType(message("M"))
        .addService(service("S", rpc("Call", ".p.M", ".p.Missing"))).build();
    assertEquals("p/s.proto: rpc p.S.Call uses the type .p.Missing, which no file of the request declares as a message",
        error(request(file)));
  }

  @Test
  void aFileToGenerateWithoutDescriptorIsRefused() {
    CodeGeneratorRequest request = CodeGeneratorRequest.newBuilder().addFileToGenerate("p/ghost.proto").build();
    assertEquals("p/ghost.proto: protoc asked for this file but sent no descriptor of it", error(request));
  }

  @Test
  void anInternalFailureIsReportedWithoutAStackTrace() {
    // protoc never sends a service name that is not an identifier; a bug in this generator would fail
    // the same way. The user sees where, and that it is not their mistake.
    FileDescriptorProto file = file("p/s.proto", "p").addMessageType(message("M"))
        .addService(service("Not-An-Identifier", rpc("Call", ".p.M", ".p.M"))).build();
    String error = error(request(file));
    assertTrue(error.startsWith("p/s.proto: protoc-gen-spoke " + Version.current() + " failed with an internal error ("
        + "java.lang.IllegalArgumentException: "), error);
    assertTrue(error.endsWith("); please report it together with this .proto file"), error);
    assertFalse(error.contains("\tat "), "no stack trace: " + error);
  }

  /** Generates, asserts the response is a clean failure, and returns its error. */
  private static String error(CodeGeneratorRequest request) {
    CodeGeneratorResponse response = Corpus.generate(request);
    assertTrue(response.hasError(), () -> "expected an error, got files " + response.getFileList());
    assertEquals(0, response.getFileCount(), "no files alongside an error");
    assertEquals(SpokeGenerator.SUPPORTED_FEATURES, response.getSupportedFeatures());
    assertEquals(Edition.EDITION_PROTO2_VALUE, response.getMinimumEdition());
    assertEquals(Edition.EDITION_2024_VALUE, response.getMaximumEdition());
    return response.getError();
  }

  private static CodeGeneratorRequest request(FileDescriptorProto file) {
    return request(List.of(file.getName()), file);
  }

  private static CodeGeneratorRequest request(List<String> filesToGenerate, FileDescriptorProto... files) {
    return Corpus.request("", filesToGenerate, Arrays.asList(files));
  }

  private static FileDescriptorProto.Builder file(String name, String protoPackage) {
    return FileDescriptorProto.newBuilder().setName(name).setPackage(protoPackage).setSyntax("proto3");
  }

  private static DescriptorProto message(String name) {
    return DescriptorProto.newBuilder().setName(name).build();
  }

  private static ServiceDescriptorProto service(String name, MethodDescriptorProto... rpcs) {
    return ServiceDescriptorProto.newBuilder().setName(name).addAllMethod(Arrays.asList(rpcs)).build();
  }

  private static MethodDescriptorProto rpc(String name, String input, String output) {
    return MethodDescriptorProto.newBuilder().setName(name).setInputType(input).setOutputType(output).build();
  }
}
