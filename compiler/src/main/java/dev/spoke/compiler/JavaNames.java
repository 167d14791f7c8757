package dev.spoke.compiler;

import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.Edition;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FeatureSet;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.JavaFeaturesProto;
import com.google.protobuf.JavaFeaturesProto.JavaFeatures;
import com.google.protobuf.JavaFeaturesProto.JavaFeatures.NestInFileClassFeature.NestInFileClass;
import java.util.Set;

/**
 * The Java names of things in a {@code .proto} file: the ones protoc's own Java generator gives the
 * messages (so that generated stubs refer to the classes that really exist), and the ones this
 * generator gives the rpcs (the same as gRPC-java's, so code moves between the two unchanged).
 *
 * <p>The message rules mirror protoc's {@code java/name_resolver.cc} and {@code java/helpers.cc} for
 * proto2, proto3 and editions 2023 and 2024. Edition 2024 changed two of them: the default outer class
 * name is the file's name with {@value #EDITION_2024_OUTER_SUFFIX} appended (never {@value
 * #OUTER_CLASS_SUFFIX}; protoc refuses a clash), and {@code java_multiple_files} gave way to the feature
 * {@code features.(pb.java).nest_in_file_class}, set per message, enum or service, by default NO: a type
 * is a top-level class unless it asks to be nested in the outer class. A test checks the rules against the
 * classes protoc really generated for the test corpus.
 *
 * <p>Stateless and thread-safe.
 */
final class JavaNames {

  /** Appended by protoc to a file's derived outer class name when a type in the file has that name. */
  static final String OUTER_CLASS_SUFFIX = "OuterClass";

  /** Appended by protoc to every derived outer class name from edition 2024 on. */
  static final String EDITION_2024_OUTER_SUFFIX = "Proto";

  /** Knows {@code features.(pb.java)}, which requests carry as unknown fields unless parsed with it. */
  private static final class JavaFeaturesRegistry {
    static final ExtensionRegistry INSTANCE = ExtensionRegistry.newInstance();

    static {
      JavaFeaturesProto.registerAllExtensions(INSTANCE);
    }
  }

  static {
    // NOTE: protobuf's DescriptorProtos must be initialized before JavaFeaturesProto: the other way
    // round, protobuf-java 4.x fails ("getDescriptor() called before internalInit()"), and nothing else
    // guarantees it in a plugin's fresh JVM.
    DescriptorProtos.getDescriptor();
  }

  /**
   * Words that cannot be Java method names, or that would be confusing ones: the reserved keywords and
   * literals (a method named {@code default} does not compile), and the methods of {@link Object}
   * (a {@code getClass(Request)} or {@code equals(Request)} overload compiles but misleads every
   * reader). An rpc whose lowerCamelCase name is one of these gets a trailing underscore, as in
   * gRPC-java, which mangles the keywords the same way.
   */
  static final Set<String> RESERVED_METHOD_NAMES = Set.of(
      // JLS 3.9 keywords, including the unused const and goto, and the single underscore.
      "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
      "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
      "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
      "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
      "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
      "volatile", "while", "_",
      // Literals.
      "true", "false", "null",
      // java.lang.Object's methods.
      "clone", "equals", "finalize", "getClass", "hashCode", "notify", "notifyAll", "toString", "wait");

  private JavaNames() {}

  // ---------------------------------------------------------------------------------------------
  // Messages, as protoc's Java generator names them

  /** The Java package of a file's classes: {@code java_package}, else the proto package. */
  static String javaPackage(FileDescriptorProto file) {
    if (file.getOptions().hasJavaPackage()) {
      return file.getOptions().getJavaPackage();
    }
    return file.getPackage();
  }

  /**
   * The name of the file's outer class: {@code java_outer_classname}, else the file's base name in
   * UpperCamelCase, with {@value #OUTER_CLASS_SUFFIX} appended when a message, enum or service of the
   * file (nested ones included) has exactly that name.
   */
  static String outerClassName(FileDescriptorProto file) {
    if (file.getOptions().hasJavaOuterClassname()) {
      return file.getOptions().getJavaOuterClassname();
    }
    String derived = derivedOuterClassName(file.getName());
    if (isEdition2024OrLater(file)) {
      return derived + EDITION_2024_OUTER_SUFFIX;
    }
    return declaresType(file, derived) ? derived + OUTER_CLASS_SUFFIX : derived;
  }

  /** True if the file is of edition 2024 or later, where Java names follow the features. */
  static boolean isEdition2024OrLater(FileDescriptorProto file) {
    return file.getSyntax().equals("editions") && file.hasEdition()
        && file.getEdition().getNumber() >= Edition.EDITION_2024.getNumber();
  }

  /**
   * True if protoc nests the class of a top-level message, enum or service with these {@code features}
   * in the file's outer class: {@code java_multiple_files} unset before edition 2024, the feature {@code
   * nest_in_file_class = YES} from it on.
   */
  static boolean nestedInOuterClass(FileDescriptorProto file, FeatureSet features) {
    if (!isEdition2024OrLater(file)) {
      return !file.getOptions().getJavaMultipleFiles();
    }
    return javaFeatures(features).getNestInFileClass() == NestInFileClass.YES;
  }

  /** The {@code (pb.java)} features of {@code features}, whether they were parsed as an extension or not. */
  private static JavaFeatures javaFeatures(FeatureSet features) {
    if (features.hasExtension(JavaFeaturesProto.java_)) {
      return features.getExtension(JavaFeaturesProto.java_);
    }
    if (!features.getUnknownFields().hasField(JavaFeaturesProto.JAVA_FIELD_NUMBER)) {
      return JavaFeatures.getDefaultInstance();
    }
    try {
      return FeatureSet.parseFrom(features.toByteString(), JavaFeaturesRegistry.INSTANCE)
          .getExtension(JavaFeaturesProto.java_);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("unreadable features.(pb.java): " + e.getMessage(), e);
    }
  }

  /** The outer class name protoc derives from a file name: {@code foo/bar_baz.proto} → {@code BarBaz}. */
  static String derivedOuterClassName(String fileName) {
    String base = fileName.substring(fileName.lastIndexOf('/') + 1);
    if (base.endsWith(".protodevel")) {
      base = base.substring(0, base.length() - ".protodevel".length());
    } else if (base.endsWith(".proto")) {
      base = base.substring(0, base.length() - ".proto".length());
    }
    return underscoresToCamelCase(base, true);
  }

  /**
   * protoc's {@code UnderscoresToCamelCase}: ASCII letters are kept, a letter after anything that is not
   * a letter (an underscore, a digit, a dash, a dot) is capitalized, and everything that is neither a
   * letter nor a digit is dropped. The first letter is capitalized if {@code capitalizeFirst}, else
   * lower-cased.
   */
  static String underscoresToCamelCase(String input, boolean capitalizeFirst) {
    StringBuilder result = new StringBuilder(input.length());
    boolean capitalizeNext = capitalizeFirst;
    for (int i = 0; i < input.length(); i++) {
      char c = input.charAt(i);
      if (c >= 'a' && c <= 'z') {
        result.append(capitalizeNext ? (char) (c - 'a' + 'A') : c);
        capitalizeNext = false;
      } else if (c >= 'A' && c <= 'Z') {
        result.append(i == 0 && !capitalizeNext ? (char) (c - 'A' + 'a') : c);
        capitalizeNext = false;
      } else if (c >= '0' && c <= '9') {
        result.append(c);
        capitalizeNext = true;
      } else {
        capitalizeNext = true;
      }
    }
    return result.toString();
  }

  /**
   * True if a message, enum or service declared in {@code file}, at any nesting depth for messages and
   * their enums, is named exactly {@code name}: protoc's {@code HasConflictingClassName}.
   */
  static boolean declaresType(FileDescriptorProto file, String name) {
    for (EnumDescriptorProto e : file.getEnumTypeList()) {
      if (e.getName().equals(name)) {
        return true;
      }
    }
    for (ServiceDescriptorProto s : file.getServiceList()) {
      if (s.getName().equals(name)) {
        return true;
      }
    }
    for (DescriptorProto m : file.getMessageTypeList()) {
      if (messageDeclaresType(m, name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean messageDeclaresType(DescriptorProto message, String name) {
    if (message.getName().equals(name)) {
      return true;
    }
    for (DescriptorProto nested : message.getNestedTypeList()) {
      if (messageDeclaresType(nested, name)) {
        return true;
      }
    }
    for (EnumDescriptorProto e : message.getEnumTypeList()) {
      if (e.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Rpcs, as gRPC-java names them

  /**
   * The Java method name of an rpc in stubs and services: gRPC-java's "mixed lower" form (the first
   * character lower-cased, each underscore dropped and the character after it upper-cased, everything
   * else kept, so {@code GetURL} becomes {@code getURL}), with a trailing underscore if that is a
   * {@linkplain #RESERVED_METHOD_NAMES reserved name}.
   */
  static String methodName(String rpcName) {
    String name = mixedLower(rpcName);
    return RESERVED_METHOD_NAMES.contains(name) ? name + "_" : name;
  }

  /** The name of the static accessor of an rpc's method descriptor: {@code SayHello} → {@code getSayHelloMethod}. */
  static String methodDescriptorGetterName(String rpcName) {
    return mixedLower("get_" + rpcName + "_method");
  }

  /** The name of an rpc's dispatch constant: {@code SayHello} → {@code METHODID_SAY_HELLO}. */
  static String methodIdConstantName(String rpcName) {
    return "METHODID_" + allUpperCase(rpcName);
  }

  /** The class generated for a service: {@code Greeter} → {@code GreeterSpoke}. */
  static String serviceClassName(String serviceName) {
    return serviceName + "Spoke";
  }

  private static String mixedLower(String word) {
    StringBuilder w = new StringBuilder(word.length());
    w.append(asciiLower(word.charAt(0)));
    boolean afterUnderscore = false;
    for (int i = 1; i < word.length(); i++) {
      char c = word.charAt(i);
      if (c == '_') {
        afterUnderscore = true;
      } else {
        w.append(afterUnderscore ? asciiUpper(c) : c);
        afterUnderscore = false;
      }
    }
    return w.toString();
  }

  /** {@code GetURL} → {@code GET_URL}: upper-cased, with an underscore where a lower-case letter meets an upper-case one. */
  private static String allUpperCase(String word) {
    StringBuilder w = new StringBuilder(word.length() + 8);
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      w.append(asciiUpper(c));
      if (i < word.length() - 1 && isAsciiLower(c) && isAsciiUpper(word.charAt(i + 1))) {
        w.append('_');
      }
    }
    return w.toString();
  }

  private static boolean isAsciiLower(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isAsciiUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  private static char asciiLower(char c) {
    return isAsciiUpper(c) ? (char) (c - 'A' + 'a') : c;
  }

  private static char asciiUpper(char c) {
    return isAsciiLower(c) ? (char) (c - 'a' + 'A') : c;
  }
}
