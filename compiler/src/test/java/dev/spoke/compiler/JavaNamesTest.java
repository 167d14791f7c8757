package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.palantir.javapoet.ClassName;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JavaNamesTest {

  /**
   * The names this generator computes for every message of the corpus and its imports (well-known
   * types included) are the classes protoc's java_out really generated: the test classpath holds them.
   */
  @Test
  void messageClassNamesAreTheOnesProtocGenerated() {
    MessageIndex index = new MessageIndex(Corpus.allFiles());
    List<String> missing = new ArrayList<>();
    int checked = 0;
    for (FileDescriptorProto file : Corpus.allFiles()) {
      String prefix = file.getPackage().isEmpty() ? "." : "." + file.getPackage() + ".";
      for (String fullName : messageNames(prefix, file.getMessageTypeList())) {
        ClassName javaClass = index.find(fullName).javaClass();
        checked++;
        try {
          Class.forName(javaClass.reflectionName());
        } catch (ClassNotFoundException e) {
          missing.add(fullName + " -> " + javaClass.reflectionName());
        }
      }
      String outer = JavaNames.javaPackage(file).isEmpty()
          ? JavaNames.outerClassName(file)
          : JavaNames.javaPackage(file) + "." + JavaNames.outerClassName(file);
      try {
        Class.forName(outer);
      } catch (ClassNotFoundException e) {
        missing.add(file.getName() + " outer class -> " + outer);
      }
    }
    assertTrue(checked > 40, "the corpus has messages to check: " + checked);
    if (!missing.isEmpty()) {
      fail("protoc generated no class by these names:\n" + String.join("\n", missing));
    }
  }

  private static List<String> messageNames(String prefix, List<DescriptorProto> messages) {
    List<String> names = new ArrayList<>();
    for (DescriptorProto message : messages) {
      if (message.getOptions().getMapEntry()) {
        continue; // map<K, V> entries have no Java class, and an rpc cannot use them
      }
      names.add(prefix + message.getName());
      names.addAll(messageNames(prefix + message.getName() + ".", message.getNestedTypeList()));
    }
    return names;
  }

  @Test
  void corpusOuterClassNames() {
    assertEquals("GreeterProto", JavaNames.outerClassName(Corpus.file("spoke/golden/greeter.proto")));
    assertEquals("SingleFile", JavaNames.outerClassName(Corpus.file("spoke/golden/single_file.proto")));
    assertEquals("ClashMessageOuterClass", JavaNames.outerClassName(Corpus.file("spoke/golden/clash_message.proto")));
    assertEquals("ClashNestedOuterClass", JavaNames.outerClassName(Corpus.file("spoke/golden/clash_nested.proto")));
    assertEquals("ClashServiceOuterClass", JavaNames.outerClassName(Corpus.file("spoke/golden/clash_service.proto")));
    assertEquals("MultiClashOuterClass", JavaNames.outerClassName(Corpus.file("spoke/golden/multi_clash.proto")));
    assertEquals("OddFileNameV2", JavaNames.outerClassName(Corpus.file("spoke/golden/odd-file.name_v2.proto")));
    assertEquals("EmptyProto", JavaNames.outerClassName(Corpus.file("google/protobuf/empty.proto")));
  }

  @ParameterizedTest
  @CsvSource({
      "foo.proto, Foo",
      "foo_bar.proto, FooBar",
      "dir/sub/foo_bar_baz.proto, FooBarBaz",
      "foo2bar.proto, Foo2Bar",
      "odd-file.name_v2.proto, OddFileNameV2",
      "FOO.proto, FOO",
      "fooBar.proto, FooBar",
      "foo_.proto, Foo",
      "legacy.protodevel, Legacy",
      "noextension, Noextension",
  })
  void derivedOuterClassNames(String fileName, String expected) {
    assertEquals(expected, JavaNames.derivedOuterClassName(fileName));
  }

  @Test
  void outerClassNameGetsTheSuffixOnlyForAnExactClash() {
    FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder().setName("a/foo.proto");
    assertEquals("Foo", JavaNames.outerClassName(file.build()));
    assertEquals("Foo", JavaNames.outerClassName(file.clone().addMessageType(message("FOO")).build()),
        "a clash that only ignores case keeps the name (protoc only warns)");
    assertEquals("FooOuterClass", JavaNames.outerClassName(file.clone().addMessageType(message("Foo")).build()));
    assertEquals("FooOuterClass", JavaNames.outerClassName(file.clone()
        .addMessageType(message("Bar").addNestedType(message("Baz").addNestedType(message("Foo")))).build()));
    assertEquals("FooOuterClass", JavaNames.outerClassName(file.clone()
        .addMessageType(message("Bar").addEnumType(EnumDescriptorProto.newBuilder().setName("Foo"))).build()));
    assertEquals("FooOuterClass", JavaNames.outerClassName(file.clone()
        .addEnumType(EnumDescriptorProto.newBuilder().setName("Foo")).build()));
    assertEquals("FooOuterClass", JavaNames.outerClassName(file.clone()
        .addService(ServiceDescriptorProto.newBuilder().setName("Foo")).build()));
    assertEquals("Explicit", JavaNames.outerClassName(file.clone()
        .setOptions(FileOptions.newBuilder().setJavaOuterClassname("Explicit")).addMessageType(message("Foo")).build()));
  }

  @Test
  void javaPackageIsTheOptionElseTheProtoPackage() {
    FileDescriptorProto.Builder file = FileDescriptorProto.newBuilder().setName("x.proto");
    assertEquals("", JavaNames.javaPackage(file.build()));
    assertEquals("a.b", JavaNames.javaPackage(file.setPackage("a.b").build()));
    assertEquals("com.example", JavaNames.javaPackage(
        file.setOptions(FileOptions.newBuilder().setJavaPackage("com.example")).build()));
  }

  @Test
  void nestedMessagesAreNestedClassesOfTheOuterClassUnlessMultipleFiles() {
    DescriptorProto outer = message("Outer").addNestedType(message("Inner").addNestedType(message("Deepest"))).build();
    FileDescriptorProto single = FileDescriptorProto.newBuilder().setName("p/my_file.proto").setPackage("p")
        .addMessageType(outer).build();
    MessageIndex index = new MessageIndex(List.of(single));
    assertEquals(ClassName.get("p", "MyFile", "Outer", "Inner", "Deepest"), index.find(".p.Outer.Inner.Deepest").javaClass());

    FileDescriptorProto multiple = single.toBuilder().setOptions(FileOptions.newBuilder().setJavaMultipleFiles(true)).build();
    index = new MessageIndex(List.of(multiple));
    assertEquals(ClassName.get("p", "Outer", "Inner", "Deepest"), index.find(".p.Outer.Inner.Deepest").javaClass());
    assertEquals(null, index.find(".p.Missing"));
  }

  @ParameterizedTest
  @CsvSource({
      // rpc name, method name, descriptor getter, method id constant
      "SayHello, sayHello, getSayHelloMethod, METHODID_SAY_HELLO",
      "sayHello, sayHello, getSayHelloMethod, METHODID_SAY_HELLO",
      "GetURL, getURL, getGetURLMethod, METHODID_GET_URL",
      "URLFetch, uRLFetch, getURLFetchMethod, METHODID_URLFETCH",
      "list_all_words, listAllWords, getListAllWordsMethod, METHODID_LIST_ALL_WORDS",
      "Get2Things, get2Things, getGet2ThingsMethod, METHODID_GET2THINGS",
      "a__b, aB, getABMethod, METHODID_A__B",
      // Java keywords and literals.
      "Default, default_, getDefaultMethod, METHODID_DEFAULT",
      "Class, class_, getClassMethod, METHODID_CLASS",
      "Import, import_, getImportMethod, METHODID_IMPORT",
      "Switch, switch_, getSwitchMethod, METHODID_SWITCH",
      "Null, null_, getNullMethod, METHODID_NULL",
      "True, true_, getTrueMethod, METHODID_TRUE",
      "Goto, goto_, getGotoMethod, METHODID_GOTO",
      "_, __, getMethod, METHODID__",
      // java.lang.Object's methods.
      "GetClass, getClass_, getGetClassMethod, METHODID_GET_CLASS",
      "HashCode, hashCode_, getHashCodeMethod, METHODID_HASH_CODE",
      "ToString, toString_, getToStringMethod, METHODID_TO_STRING",
      "Equals, equals_, getEqualsMethod, METHODID_EQUALS",
      "Clone, clone_, getCloneMethod, METHODID_CLONE",
      "Finalize, finalize_, getFinalizeMethod, METHODID_FINALIZE",
      "Wait, wait_, getWaitMethod, METHODID_WAIT",
      "Notify, notify_, getNotifyMethod, METHODID_NOTIFY",
      "NotifyAll, notifyAll_, getNotifyAllMethod, METHODID_NOTIFY_ALL",
      // Not reserved: Java allows these as method names.
      "Record, record, getRecordMethod, METHODID_RECORD",
      "Var, var, getVarMethod, METHODID_VAR",
  })
  void rpcNames(String rpc, String method, String getter, String methodId) {
    assertEquals(method, JavaNames.methodName(rpc));
    assertEquals(getter, JavaNames.methodDescriptorGetterName(rpc));
    assertEquals(methodId, JavaNames.methodIdConstantName(rpc));
  }

  @Test
  void reservedNamesCoverEveryKeywordJavaReserves() {
    for (String keyword : List.of("abstract", "continue", "for", "new", "switch", "assert", "default", "goto",
        "package", "synchronized", "boolean", "do", "if", "private", "this", "break", "double", "implements",
        "protected", "throw", "byte", "else", "import", "public", "throws", "case", "enum", "instanceof", "return",
        "transient", "catch", "extends", "int", "short", "try", "char", "final", "interface", "static", "void",
        "class", "finally", "long", "strictfp", "volatile", "const", "float", "native", "super", "while", "_",
        "true", "false", "null")) {
      assertTrue(javax.lang.model.SourceVersion.isKeyword(keyword) || keyword.equals("_"), keyword);
      assertTrue(JavaNames.RESERVED_METHOD_NAMES.contains(keyword), keyword);
    }
    for (java.lang.reflect.Method method : Object.class.getDeclaredMethods()) {
      if (!java.lang.reflect.Modifier.isPrivate(method.getModifiers()) && !method.getName().startsWith("register")) {
        assertTrue(JavaNames.RESERVED_METHOD_NAMES.contains(method.getName()), method.getName());
      }
    }
    assertFalse(JavaNames.RESERVED_METHOD_NAMES.contains("sayHello"));
  }

  private static DescriptorProto.Builder message(String name) {
    return DescriptorProto.newBuilder().setName(name);
  }
}
