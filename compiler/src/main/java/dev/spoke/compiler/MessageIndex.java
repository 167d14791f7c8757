package dev.spoke.compiler;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.palantir.javapoet.ClassName;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every message type of a request's files, by full proto name, with the Java class protoc generates
 * for it. Built once per request from all its files (the files to generate and everything they
 * import), so rpcs can refer to messages from any file and package.
 *
 * <p>Not thread-safe; used by one generation.
 */
final class MessageIndex {

  /**
   * A message type as generated code refers to it.
   *
   * @param javaClass the class protoc generates for the message
   * @param file the file that declares the message
   * @param deprecated true if the message class, or a message it is nested in, is {@code @Deprecated}
   *     (or the file is marked deprecated), so referring to it warns
   */
  record MessageType(ClassName javaClass, FileDescriptorProto file, boolean deprecated) {}

  private final Map<String, MessageType> byFullName = new HashMap<>();

  /** Indexes the messages of {@code files}. */
  MessageIndex(List<FileDescriptorProto> files) {
    for (FileDescriptorProto file : files) {
      String javaPackage = JavaNames.javaPackage(file);
      String protoPrefix = file.getPackage().isEmpty() ? "." : "." + file.getPackage() + ".";
      for (DescriptorProto message : file.getMessageTypeList()) {
        List<String> enclosing = JavaNames.nestedInOuterClass(file, message.getOptions().getFeatures())
            ? List.of(JavaNames.outerClassName(file)) : List.of();
        add(file, javaPackage, enclosing, protoPrefix, message, file.getOptions().getDeprecated());
      }
    }
  }

  private void add(FileDescriptorProto file, String javaPackage, List<String> enclosing, String protoPrefix,
      DescriptorProto message, boolean enclosingDeprecated) {
    List<String> simpleNames = new ArrayList<>(enclosing);
    simpleNames.add(message.getName());
    String fullName = protoPrefix + message.getName();
    boolean deprecated = enclosingDeprecated || message.getOptions().getDeprecated();
    ClassName javaClass = ClassName.get(javaPackage, simpleNames.get(0),
        simpleNames.subList(1, simpleNames.size()).toArray(new String[0]));
    byFullName.put(fullName, new MessageType(javaClass, file, deprecated));
    for (DescriptorProto nested : message.getNestedTypeList()) {
      add(file, javaPackage, simpleNames, fullName + ".", nested, deprecated);
    }
  }

  /**
   * The message of a fully-qualified type name as descriptors carry it ({@code .pkg.Outer.Inner}), or
   * null if no file of the request declares it.
   */
  MessageType find(String fullName) {
    return byFullName.get(fullName);
  }
}
