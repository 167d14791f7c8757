package dev.spoke.compiler;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.Edition;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileOptions;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.JavaFile;
import dev.spoke.compiler.MessageIndex.MessageType;
import dev.spoke.compiler.ServiceModel.Rpc;
import dev.spoke.compiler.ServiceModel.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The whole generator as a function: a {@link CodeGeneratorRequest} in, a {@link CodeGeneratorResponse}
 * out, with one {@code <Service>Spoke.java} per service of the files to generate, in the Java package
 * protoc's Java output uses for that file.
 *
 * <p>Input it cannot turn into correct code (an unknown parameter, an edition it does not know, names
 * that would collide in Java) gives a response with {@code error} set and no files: protoc prints the
 * error and fails, and no half-generated code is left behind. The output depends on nothing but the
 * request and the version, so the same request always gives byte-identical files.
 *
 * <p>Thread-safe: each call works on its own state.
 */
public final class SpokeGenerator {

  /** proto3 {@code optional} (nothing to do: stubs do not look at fields) and editions. */
  static final long SUPPORTED_FEATURES = CodeGeneratorResponse.Feature.FEATURE_PROTO3_OPTIONAL_VALUE
      | CodeGeneratorResponse.Feature.FEATURE_SUPPORTS_EDITIONS_VALUE;
  static final Edition MINIMUM_EDITION = Edition.EDITION_PROTO2;
  /**
   * The newest edition whose Java class naming this generator knows (see {@link JavaNames}); a newer one
   * is refused rather than guessed at.
   */
  static final Edition MAXIMUM_EDITION = Edition.EDITION_2024;

  /** The longest file name most file systems (ext4, XFS, APFS, NTFS) take, in bytes. */
  static final int MAX_CLASS_FILE_NAME_BYTES = 255;

  private final String version;

  /** @param version this generator's version, written into every generated file's header */
  public SpokeGenerator(String version) {
    this.version = version;
  }

  /** Generates the files for {@code request}; never throws (failures are reported in the response). */
  public CodeGeneratorResponse generate(CodeGeneratorRequest request) {
    CodeGeneratorResponse.Builder response = CodeGeneratorResponse.newBuilder()
        .setSupportedFeatures(SUPPORTED_FEATURES)
        .setMinimumEdition(MINIMUM_EDITION.getNumber())
        .setMaximumEdition(MAXIMUM_EDITION.getNumber());
    Generation generation = new Generation(request);
    try {
      response.addAllFile(generation.run());
    } catch (GeneratorException e) {
      response.setError(e.getMessage());
    } catch (RuntimeException e) {
      // A bug here, not a problem with the input: say so, and where, instead of writing bad code.
      response.setError(generation.currentFile + ": protoc-gen-spoke " + version + " failed with an internal error ("
          + e + "); please report it together with this .proto file");
    }
    return response.build();
  }

  /** One request's generation; holds what it learns about the request's files. */
  private final class Generation {
    private final CodeGeneratorRequest request;
    private final Map<String, FileDescriptorProto> filesByName = new LinkedHashMap<>();
    /** Generated path to what it was generated for, to refuse two services that would share a file. */
    private final Map<String, String> outputs = new HashMap<>();
    /** Where generation is, for the internal-error message. */
    String currentFile = "(no file)";

    Generation(CodeGeneratorRequest request) {
      this.request = request;
      for (FileDescriptorProto file : request.getProtoFileList()) {
        filesByName.put(file.getName(), file);
      }
    }

    List<CodeGeneratorResponse.File> run() throws GeneratorException {
      GeneratorParameters parameters = GeneratorParameters.parse(request.getParameter());
      MessageIndex messages = new MessageIndex(request.getProtoFileList());
      Map<String, Set<String>> protocClassesByPackage = protocTopLevelClasses();
      ServiceGenerator generator = new ServiceGenerator(version);
      List<CodeGeneratorResponse.File> files = new ArrayList<>();
      for (String name : request.getFileToGenerateList()) {
        currentFile = name;
        FileDescriptorProto file = filesByName.get(name);
        if (file == null) {
          throw new GeneratorException(name + ": protoc asked for this file but sent no descriptor of it");
        }
        checkEdition(file, name);
        checkOuterClassName(file);
        ProtoComments comments = new ProtoComments(file);
        for (int i = 0; i < file.getServiceCount(); i++) {
          checkClassFileNames(file, file.getService(i));
          ServiceModel service = model(file, i, parameters, messages, comments);
          checkClassIsFree(file, service, protocClassesByPackage);
          JavaFile javaFile = generator.generate(service);
          files.add(CodeGeneratorResponse.File.newBuilder()
              .setName(outputPath(service.javaClass()))
              .setContent(javaFile.toString())
              .build());
        }
      }
      return files;
    }

    private ServiceModel model(FileDescriptorProto file, int serviceIndex, GeneratorParameters parameters,
        MessageIndex messages, ProtoComments comments) throws GeneratorException {
      ServiceDescriptorProto service = file.getService(serviceIndex);
      String fullName = file.getPackage().isEmpty() ? service.getName() : file.getPackage() + "." + service.getName();
      String javaPackage = JavaNames.javaPackage(file);
      List<Rpc> rpcs = new ArrayList<>();
      // Per kind of name: a stub method may share a name with another rpc's descriptor getter (they live in
      // different classes, and stubs call the getters through the outer class).
      Map<String, String> methodNames = new HashMap<>();
      Map<String, String> getterNames = new HashMap<>();
      Set<String> methodIdNames = new HashSet<>();
      boolean referencesDeprecated = false;
      for (int m = 0; m < service.getMethodCount(); m++) {
        MethodDescriptorProto method = service.getMethod(m);
        MessageType requestType = message(file, fullName, method, method.getInputType(), messages);
        MessageType responseType = message(file, fullName, method, method.getOutputType(), messages);
        referencesDeprecated |= requestType.deprecated() || responseType.deprecated();
        Rpc rpc = new Rpc(
            method.getName(),
            JavaNames.methodName(method.getName()),
            JavaNames.methodDescriptorGetterName(method.getName()),
            uniqueMethodIdConstant(methodIdNames, method.getName(), m),
            Shape.of(method.getClientStreaming(), method.getServerStreaming()),
            requestType.javaClass(),
            responseType.javaClass(),
            method.getOptions().getDeprecated(),
            comments.method(serviceIndex, m));
        claim(methodNames, rpc.methodName(), method, file, fullName);
        claim(getterNames, rpc.descriptorGetter(), method, file, fullName);
        rpcs.add(rpc);
      }
      return new ServiceModel(
          file.getName(),
          fullName,
          service.getName(),
          ClassName.get(javaPackage, JavaNames.serviceClassName(service.getName())),
          ClassName.get(javaPackage, JavaNames.outerClassName(file)),
          parameters.lite() || file.getOptions().getOptimizeFor() == FileOptions.OptimizeMode.LITE_RUNTIME,
          service.getOptions().getDeprecated(),
          referencesDeprecated,
          comments.service(serviceIndex),
          rpcs);
    }

    /**
     * The private dispatch constant of the rpc at {@code index}: {@code METHODID_<NAME>}, or, when an
     * earlier rpc took that (rpcs {@code Ab} and {@code AB} both make {@code METHODID_AB}), the same with
     * the rpc's index appended. Nothing outside the generated class sees these names.
     */
    private String uniqueMethodIdConstant(Set<String> taken, String rpcName, int index) {
      String name = JavaNames.methodIdConstantName(rpcName);
      while (!taken.add(name)) {
        name = name + "_" + index;
      }
      return name;
    }

    /**
     * Refuses a service whose generated classes would have class-file names longer than file systems
     * allow (255 bytes), which javac would only report as "File name too long".
     */
    private void checkClassFileNames(FileDescriptorProto file, ServiceDescriptorProto service) throws GeneratorException {
      String outer = JavaNames.serviceClassName(service.getName());
      String longest = outer + ".class";
      for (String nested : ServiceGenerator.nestedClassNames(service.getName())) {
        String classFile = outer + "$" + nested + ".class";
        if (classFile.length() > longest.length()) {
          longest = classFile;
        }
      }
      int bytes = longest.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (bytes > MAX_CLASS_FILE_NAME_BYTES) {
        int over = bytes - MAX_CLASS_FILE_NAME_BYTES;
        throw new GeneratorException(file.getName() + ": the name of service " + service.getName() + " ("
            + service.getName().length() + " characters) is too long for Java class files: " + longest.substring(0, 40)
            + "… would be " + bytes + " bytes, and file systems allow " + MAX_CLASS_FILE_NAME_BYTES
            + "; shorten the service name by at least " + (over + 1) / 2 + " characters");
      }
    }

    /** Records that {@code method} uses {@code javaName}; refuses it if another rpc of the service already does. */
    private void claim(Map<String, String> taken, String javaName, MethodDescriptorProto method,
        FileDescriptorProto file, String service) throws GeneratorException {
      String other = taken.putIfAbsent(javaName, method.getName());
      if (other != null) {
        throw new GeneratorException(file.getName() + ": the rpcs " + other + " and " + method.getName()
            + " of service " + service + " would both be named " + javaName + " in Java; rename one of them");
      }
    }

    private MessageType message(FileDescriptorProto file, String service, MethodDescriptorProto method,
        String typeName, MessageIndex messages) throws GeneratorException {
      MessageType type = messages.find(typeName);
      if (type == null) {
        throw new GeneratorException(file.getName() + ": rpc " + service + "." + method.getName() + " uses the type "
            + typeName + ", which no file of the request declares as a message");
      }
      // Its class name depends on its own file's edition rules.
      checkEdition(type.file(), file.getName() + ": rpc " + service + "." + method.getName() + " uses "
          + typeName.substring(1) + " from " + type.file().getName() + ", but that file");
      return type;
    }

    private String outputPath(ClassName javaClass) throws GeneratorException {
      String directory = javaClass.packageName().replace('.', '/');
      String path = (directory.isEmpty() ? "" : directory + "/") + javaClass.simpleName() + ".java";
      String previous = outputs.putIfAbsent(path, currentFile);
      if (previous != null) {
        throw new GeneratorException(currentFile + ": protoc-gen-spoke would write " + path + " for a service of "
            + currentFile + " and for one of " + previous + "; give the files different java_package options "
            + "or rename one of the services");
      }
      return path;
    }

    /**
     * protoc refuses an explicit {@code java_outer_classname} that names a type of the same file (the
     * two classes would collide); this generator refuses it too, rather than write stubs against
     * classes that cannot exist.
     */
    private void checkOuterClassName(FileDescriptorProto file) throws GeneratorException {
      if (file.getOptions().hasJavaOuterClassname()
          && JavaNames.declaresType(file, file.getOptions().getJavaOuterClassname())) {
        throw new GeneratorException(file.getName() + ": java_outer_classname \"" + file.getOptions().getJavaOuterClassname()
            + "\" is also the name of a type declared in the file, so protoc cannot generate Java for it; "
            + "choose another java_outer_classname or rename the type");
      }
      // From edition 2024 on protoc no longer renames a derived outer class that clashes: it refuses.
      if (!file.getOptions().hasJavaOuterClassname() && JavaNames.isEdition2024OrLater(file)
          && JavaNames.declaresType(file, JavaNames.outerClassName(file))) {
        throw new GeneratorException(file.getName() + ": the outer class name protoc derives for it, \""
            + JavaNames.outerClassName(file) + "\", is also the name of a type declared in the file, so protoc"
            + " cannot generate Java for it; set java_outer_classname or rename the type");
      }
    }

    /** Refuses a {@code <Service>Spoke} class that would replace a class protoc generates in the same package. */
    private void checkClassIsFree(FileDescriptorProto file, ServiceModel service,
        Map<String, Set<String>> protocClassesByPackage) throws GeneratorException {
      String simpleName = service.javaClass().simpleName();
      if (protocClassesByPackage.getOrDefault(service.javaClass().packageName(), Set.of()).contains(simpleName)) {
        throw new GeneratorException(file.getName() + ": the class " + simpleName + " generated for service "
            + service.fullName() + " would have the same name as a class protoc generates in package '"
            + service.javaClass().packageName() + "' (a message, an enum, or a file's outer class); "
            + "rename one of them, or set java_outer_classname");
      }
    }

    /** The top-level classes protoc's Java generator writes, per Java package, for the request's files. */
    private Map<String, Set<String>> protocTopLevelClasses() {
      Map<String, Set<String>> byPackage = new HashMap<>();
      for (FileDescriptorProto file : request.getProtoFileList()) {
        Set<String> names = byPackage.computeIfAbsent(JavaNames.javaPackage(file), p -> new HashSet<>());
        names.add(JavaNames.outerClassName(file));
        for (DescriptorProto m : file.getMessageTypeList()) {
          if (!JavaNames.nestedInOuterClass(file, m.getOptions().getFeatures())) {
            names.add(m.getName());
          }
        }
        for (EnumDescriptorProto e : file.getEnumTypeList()) {
          if (!JavaNames.nestedInOuterClass(file, e.getOptions().getFeatures())) {
            names.add(e.getName());
          }
        }
        if (file.getOptions().getJavaGenericServices()) {
          for (ServiceDescriptorProto sv : file.getServiceList()) {
            if (!JavaNames.nestedInOuterClass(file, sv.getOptions().getFeatures())) {
              names.add(sv.getName());
            }
          }
        }
      }
      return byPackage;
    }
  }

  /**
   * Refuses a file of a syntax or edition this generator does not know how to name classes for.
   *
   * @param subject how the error message starts: the file's name, or the rpc that uses it and "that file"
   */
  private static void checkEdition(FileDescriptorProto file, String subject) throws GeneratorException {
    String syntax = file.getSyntax();
    if (syntax.isEmpty() || syntax.equals("proto2") || syntax.equals("proto3")) {
      return;
    }
    if (!syntax.equals("editions")) {
      throw new GeneratorException(subject + " has syntax \"" + syntax + "\", which protoc-gen-spoke does not know");
    }
    // descriptor.proto is proto2, so an edition number this protobuf-java does not know reads as unset.
    int edition = file.hasEdition() ? file.getEdition().getNumber() : Edition.EDITION_UNKNOWN.getNumber();
    if (edition < MINIMUM_EDITION.getNumber() || edition > MAXIMUM_EDITION.getNumber()) {
      throw new GeneratorException(subject + " uses " + editionName(edition) + ", which protoc-gen-spoke does not support"
          + " (it supports proto2, proto3 and editions up to " + editionName(MAXIMUM_EDITION.getNumber()) + ")");
    }
  }

  /** {@code edition 2024} for the numbered editions, the enum's name for the others, the number if unknown. */
  private static String editionName(int number) {
    Edition edition = Edition.forNumber(number);
    if (edition == null) {
      return "edition number " + number;
    }
    String name = edition.name();
    return name.matches("EDITION_\\d+") ? "edition " + name.substring("EDITION_".length()) : name;
  }
}
