package dev.spoke.compiler;

import com.palantir.javapoet.AnnotationSpec;
import com.palantir.javapoet.ClassName;
import com.palantir.javapoet.CodeBlock;
import com.palantir.javapoet.FieldSpec;
import com.palantir.javapoet.JavaFile;
import com.palantir.javapoet.MethodSpec;
import com.palantir.javapoet.ParameterizedTypeName;
import com.palantir.javapoet.TypeName;
import com.palantir.javapoet.TypeSpec;
import com.palantir.javapoet.TypeVariableName;
import dev.spoke.compiler.ServiceModel.Rpc;
import dev.spoke.compiler.ServiceModel.Shape;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.lang.model.element.Modifier;

/**
 * Lays out {@code <Service>Spoke.java} for one service in gRPC-java's shape: {@code SERVICE_NAME}, a
 * lazily built method descriptor per rpc, {@code getServiceDescriptor()}, {@code newStub}, {@code
 * newBlockingStub} and {@code newFutureStub}, the {@code AsyncService} interface whose defaults answer UNIMPLEMENTED, the {@code
 * ImplBase}, {@code bindService}, and one {@code MethodHandlers} class that dispatches on {@code
 * METHODID_*} constants.
 *
 * <p>Runtime types are named here, never imported: this module does not depend on the runtime.
 * Calls from nested classes to the outer class's static methods are qualified with the outer class,
 * because a stub method with the same name (an rpc called {@code GetFooMethod}) would hide them.
 *
 * <p>Stateless; one instance may generate any number of services.
 */
final class ServiceGenerator {

  private static final String RUNTIME = "dev.spoke";
  private static final String STUB = "dev.spoke.stub";
  private static final ClassName CHANNEL = ClassName.get(RUNTIME, "Channel");
  private static final ClassName CALL_OPTIONS = ClassName.get(RUNTIME, "CallOptions");
  private static final ClassName METHOD_DESCRIPTOR = ClassName.get(RUNTIME, "MethodDescriptor");
  private static final ClassName METHOD_TYPE = METHOD_DESCRIPTOR.nestedClass("MethodType");
  private static final ClassName SERVICE_DESCRIPTOR = ClassName.get(RUNTIME, "ServiceDescriptor");
  private static final ClassName SERVER_SERVICE_DEFINITION = ClassName.get(RUNTIME, "ServerServiceDefinition");
  private static final ClassName BINDABLE_SERVICE = ClassName.get(RUNTIME, "BindableService");
  private static final ClassName STATUS_RUNTIME_EXCEPTION = ClassName.get(RUNTIME, "StatusRuntimeException");
  private static final ClassName SERVICE_REGISTRY = ClassName.get(RUNTIME, "ServiceRegistry");
  private static final ClassName CLIENT_CALLS = ClassName.get(STUB, "ClientCalls");
  private static final ClassName SERVER_CALLS = ClassName.get(STUB, "ServerCalls");
  private static final ClassName STREAM_OBSERVER = ClassName.get(STUB, "StreamObserver");
  private static final ClassName ABSTRACT_ASYNC_STUB = ClassName.get(STUB, "AbstractAsyncStub");
  private static final ClassName ABSTRACT_BLOCKING_STUB = ClassName.get(STUB, "AbstractBlockingStub");
  private static final ClassName ABSTRACT_FUTURE_STUB = ClassName.get(STUB, "AbstractFutureStub");
  private static final ClassName BLOCKING_RESPONSE_STREAM = ClassName.get(STUB, "BlockingResponseStream");
  private static final ClassName PROTO_MARSHALLERS = ClassName.get("dev.spoke.protobuf", "ProtoMarshallers");
  private static final ClassName COMPLETABLE_FUTURE = ClassName.get(CompletableFuture.class);

  private static final TypeVariableName REQ = TypeVariableName.get("Req");
  private static final TypeVariableName RESP = TypeVariableName.get("Resp");

  private final String version;

  /** @param version this generator's version, for the header of every file */
  ServiceGenerator(String version) {
    this.version = version;
  }

  /** The Java file for {@code service}. */
  JavaFile generate(ServiceModel service) {
    Names names = new Names(service);
    TypeSpec.Builder outer = TypeSpec.classBuilder(service.javaClass())
        .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
        .addJavadoc(outerJavadoc(service));
    if (service.deprecated()) {
      outer.addAnnotation(Deprecated.class);
    }
    if (service.referencesDeprecatedMessages()) {
      // The .proto chose to use deprecated messages; the user's build should not warn about our code.
      outer.addAnnotation(AnnotationSpec.builder(SuppressWarnings.class).addMember("value", "$S", "deprecation").build());
    }

    outer.addField(FieldSpec.builder(String.class, "SERVICE_NAME", Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .addJavadoc("The full name of the service, as calls to it name it.\n")
        .initializer("$S", service.fullName())
        .build());
    for (Rpc rpc : service.rpcs()) {
      outer.addField(FieldSpec.builder(methodDescriptorOf(rpc), rpc.descriptorGetter(),
              Modifier.PRIVATE, Modifier.STATIC, Modifier.VOLATILE)
          .build());
    }
    outer.addField(FieldSpec.builder(SERVICE_DESCRIPTOR, "serviceDescriptor",
        Modifier.PRIVATE, Modifier.STATIC, Modifier.VOLATILE).build());
    for (int i = 0; i < service.rpcs().size(); i++) {
      outer.addField(FieldSpec.builder(int.class, service.rpcs().get(i).methodIdConstant(),
              Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
          .initializer("$L", i)
          .build());
    }

    outer.addMethod(MethodSpec.constructorBuilder().addModifiers(Modifier.PRIVATE).build());
    for (Rpc rpc : service.rpcs()) {
      outer.addMethod(methodDescriptorGetter(service, rpc));
    }
    outer.addMethod(serviceDescriptorGetter(service));
    outer.addMethod(MethodSpec.methodBuilder("newStub")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addJavadoc("Creates an async stub that calls the service over {@code channel}: unary rpcs take a\n"
            + "{@link $T} for the response or return a {@link $T}, streaming rpcs send and receive\n"
            + "through {@link $T}s.\n", STREAM_OBSERVER, COMPLETABLE_FUTURE, STREAM_OBSERVER)
        .returns(names.stub)
        .addParameter(CHANNEL, "channel")
        .addStatement("return new $T(channel, $T.DEFAULT)", names.stub, CALL_OPTIONS)
        .build());
    outer.addMethod(MethodSpec.methodBuilder("newBlockingStub")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addJavadoc("Creates a blocking stub that calls the service over {@code channel}: unary rpcs wait for\n"
            + "their response on the calling thread, server-streaming rpcs return a {@link $T}.\n"
            + "Client- and bidirectional-streaming rpcs are on the {@linkplain #newStub async stub} only.\n",
            BLOCKING_RESPONSE_STREAM)
        .returns(names.blockingStub)
        .addParameter(CHANNEL, "channel")
        .addStatement("return new $T(channel, $T.DEFAULT)", names.blockingStub, CALL_OPTIONS)
        .build());
    outer.addMethod(MethodSpec.methodBuilder("newFutureStub")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addJavadoc("Creates a future stub that calls the service over {@code channel}: unary rpcs return a\n"
            + "{@link $T}. Streaming rpcs are on the {@linkplain #newStub async stub} only.\n", COMPLETABLE_FUTURE)
        .returns(names.futureStub)
        .addParameter(CHANNEL, "channel")
        .addStatement("return new $T(channel, $T.DEFAULT)", names.futureStub, CALL_OPTIONS)
        .build());
    outer.addMethod(bindService(service, names));

    // A deprecated service deprecates what users write against: its service interface, base class and
    // stubs, as gRPC-java does, not only the outer class (whose use from an import does not warn).
    outer.addType(deprecatedIf(service, asyncService(service, names)));
    outer.addType(deprecatedIf(service, implBase(service, names)));
    outer.addType(deprecatedIf(service, asyncStub(service, names)));
    outer.addType(deprecatedIf(service, blockingStub(service, names)));
    outer.addType(deprecatedIf(service, futureStub(service, names)));
    if (!service.rpcs().isEmpty()) {
      outer.addType(methodHandlers(service, names));
    }

    return JavaFile.builder(service.javaClass().packageName(), outer.build())
        .addFileComment("Generated by protoc-gen-spoke $L from $L. Do not edit.",
            version, commentSafe(service.protoFile()))
        .build();
  }

  /** {@code type}, marked {@code @Deprecated} if the service is. */
  private static TypeSpec deprecatedIf(ServiceModel service, TypeSpec type) {
    return service.deprecated() ? type.toBuilder().addAnnotation(Deprecated.class).build() : type;
  }

  /**
   * The simple names of the classes nested in a service's generated class, for the longest class-file
   * name it makes ({@code <Service>Spoke$<Service>BlockingStub.class}).
   */
  static List<String> nestedClassNames(String serviceProtoName) {
    return List.of("AsyncService", serviceProtoName + "ImplBase", serviceProtoName + "Stub",
        serviceProtoName + "BlockingStub", serviceProtoName + "FutureStub", "MethodHandlers");
  }

  /** The nested class names of one service's generated class. */
  private static final class Names {
    final ClassName asyncService;
    final ClassName implBase;
    final ClassName stub;
    final ClassName blockingStub;
    final ClassName futureStub;
    final ClassName methodHandlers;

    Names(ServiceModel service) {
      ClassName outer = service.javaClass();
      List<String> nested = nestedClassNames(service.protoName());
      asyncService = outer.nestedClass(nested.get(0));
      implBase = outer.nestedClass(nested.get(1));
      stub = outer.nestedClass(nested.get(2));
      blockingStub = outer.nestedClass(nested.get(3));
      futureStub = outer.nestedClass(nested.get(4));
      methodHandlers = outer.nestedClass(nested.get(5));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Descriptors

  private static CodeBlock outerJavadoc(ServiceModel service) {
    CodeBlock.Builder doc = CodeBlock.builder();
    if (!service.javadoc().isEmpty()) {
      doc.add("$L\n", service.javadoc());
    }
    doc.add(service.javadoc().isEmpty() ? "" : "<p>")
        .add("Stubs and server bindings of the Spoke service {@code $L},\ndefined in $L.\n",
            service.fullName(), ProtoComments.escape(service.protoFile()));
    if (service.deprecated()) {
      doc.add("\n@deprecated The service is marked deprecated in its .proto file.\n");
    }
    return doc.build();
  }

  private static MethodSpec methodDescriptorGetter(ServiceModel service, Rpc rpc) {
    TypeName type = methodDescriptorOf(rpc);
    MethodSpec.Builder getter = MethodSpec.methodBuilder(rpc.descriptorGetter())
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .returns(type)
        .addJavadoc("The descriptor of the $L rpc {@code $L}, built on first use.\n", rpc.shape().description, rpc.protoName());
    deprecate(getter, rpc);
    return getter
        .addStatement("$T result = $N", type, rpc.descriptorGetter())
        .beginControlFlow("if (result == null)")
        .beginControlFlow("synchronized ($T.class)", service.javaClass())
        .addStatement("result = $N", rpc.descriptorGetter())
        .beginControlFlow("if (result == null)")
        .addStatement("$N = result = $T.<$T, $T>newBuilder(\n$T.marshaller($T.getDefaultInstance()),\n"
                + "$T.marshaller($T.getDefaultInstance()))\n"
                + ".setType($T.$L)\n"
                + ".setFullMethodName($T.generateFullMethodName(SERVICE_NAME, $S))\n"
                + ".build()",
            rpc.descriptorGetter(), METHOD_DESCRIPTOR, rpc.request(), rpc.response(),
            PROTO_MARSHALLERS, rpc.request(), PROTO_MARSHALLERS, rpc.response(),
            METHOD_TYPE, rpc.shape().name(), METHOD_DESCRIPTOR, rpc.protoName())
        .endControlFlow()
        .endControlFlow()
        .endControlFlow()
        .addStatement("return result")
        .build();
  }

  private static MethodSpec serviceDescriptorGetter(ServiceModel service) {
    CodeBlock.Builder build = CodeBlock.builder()
        .add("serviceDescriptor = result = $T.newBuilder(SERVICE_NAME)", SERVICE_DESCRIPTOR)
        .indent().indent();
    if (!service.lite()) {
      build.add("\n.setSchemaDescriptor($T.getDescriptor().findServiceByName($S))",
          service.protoOuterClass(), service.protoName());
    }
    for (Rpc rpc : service.rpcs()) {
      build.add("\n.addMethod($N())", rpc.descriptorGetter());
    }
    build.add("\n.build();\n").unindent().unindent();
    return MethodSpec.methodBuilder("getServiceDescriptor")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .returns(SERVICE_DESCRIPTOR)
        .addJavadoc(service.lite()
            ? "The descriptor of the service: its name and its rpcs, built on first use.\n"
            : "The descriptor of the service: its name, its rpcs, and its protobuf\n"
                + "{@link com.google.protobuf.Descriptors.ServiceDescriptor} as schema descriptor, built on first use.\n")
        .addStatement("$T result = serviceDescriptor", SERVICE_DESCRIPTOR)
        .beginControlFlow("if (result == null)")
        .beginControlFlow("synchronized ($T.class)", service.javaClass())
        .addStatement("result = serviceDescriptor")
        .beginControlFlow("if (result == null)")
        .addCode(build.build())
        .endControlFlow()
        .endControlFlow()
        .endControlFlow()
        .addStatement("return result")
        .build();
  }

  private static MethodSpec bindService(ServiceModel service, Names names) {
    CodeBlock.Builder body = CodeBlock.builder()
        .add("return $T.builder(getServiceDescriptor())", SERVER_SERVICE_DEFINITION)
        .indent().indent();
    for (Rpc rpc : service.rpcs()) {
      body.add("\n.addMethod($N(), $T.$L(\n$>$>new $T<$T, $T>(service, $N)))$<$<",
          rpc.descriptorGetter(), SERVER_CALLS, serverCallsFactory(rpc.shape()),
          names.methodHandlers, rpc.request(), rpc.response(), rpc.methodIdConstant());
    }
    body.add("\n.build();\n").unindent().unindent();
    return MethodSpec.methodBuilder("bindService")
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC)
        .addJavadoc("Binds {@code service} for serving, for example with {@link $T#addService}:\n"
            + "calls of an rpc it does not override are answered {@code UNIMPLEMENTED}.\n", SERVICE_REGISTRY)
        .returns(SERVER_SERVICE_DEFINITION)
        .addParameter(names.asyncService, "service")
        .addCode(body.build())
        .build();
  }

  private static String serverCallsFactory(Shape shape) {
    return switch (shape) {
      case UNARY -> "asyncUnaryCall";
      case SERVER_STREAMING -> "asyncServerStreamingCall";
      case CLIENT_STREAMING -> "asyncClientStreamingCall";
      case BIDI_STREAMING -> "asyncBidiStreamingCall";
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Server side

  private static TypeSpec asyncService(ServiceModel service, Names names) {
    TypeSpec.Builder type = TypeSpec.interfaceBuilder(names.asyncService)
        .addModifiers(Modifier.PUBLIC)
        .addJavadoc(withServiceComment(service,
            "The server side of {@code $L}.\n"
                + "Implement the rpcs you serve: every rpc you do not override answers {@code UNIMPLEMENTED}, so\n"
                + "adding an rpc to the .proto never breaks a server. Bind an implementation with\n"
                + "{@link $T#bindService($T)}, or extend {@link $T}.\n",
            service.fullName(), service.javaClass(), names.asyncService, names.implBase));
    for (Rpc rpc : service.rpcs()) {
      MethodSpec.Builder method = MethodSpec.methodBuilder(rpc.methodName())
          .addModifiers(Modifier.PUBLIC, Modifier.DEFAULT)
          .addJavadoc(withRpcComment(rpc, "Serves the $L rpc {@code $L}; by default answers\n{@code UNIMPLEMENTED}.\n",
              rpc.shape().description, rpc.protoName()));
      deprecate(method, rpc);
      if (rpc.shape().singleRequest()) {
        method.addParameter(rpc.request(), "request")
            .addParameter(observerOf(rpc.response()), "responseObserver")
            .addStatement("$T.asyncUnimplementedUnaryCall($T.$N(), responseObserver)",
                SERVER_CALLS, service.javaClass(), rpc.descriptorGetter());
      } else {
        method.returns(observerOf(rpc.request()))
            .addParameter(observerOf(rpc.response()), "responseObserver")
            .addStatement("return $T.asyncUnimplementedStreamingCall($T.$N(), responseObserver)",
                SERVER_CALLS, service.javaClass(), rpc.descriptorGetter());
      }
      type.addMethod(method.build());
    }
    return type.build();
  }

  private static TypeSpec implBase(ServiceModel service, Names names) {
    return TypeSpec.classBuilder(names.implBase)
        .addModifiers(Modifier.PUBLIC, Modifier.ABSTRACT, Modifier.STATIC)
        .addSuperinterface(names.asyncService)
        .addSuperinterface(BINDABLE_SERVICE)
        .addJavadoc(withServiceComment(service,
            "Base class for servers of {@code $L}.\n"
                + "Override the rpcs you serve (the others answer {@code UNIMPLEMENTED}) and add an instance to a\n"
                + "{@link $T}.\n",
            service.fullName(), SERVICE_REGISTRY))
        .addMethod(MethodSpec.methodBuilder("bindService")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PUBLIC, Modifier.FINAL)
            .returns(SERVER_SERVICE_DEFINITION)
            .addStatement("return $T.bindService(this)", service.javaClass())
            .build())
        .build();
  }

  private static TypeSpec methodHandlers(ServiceModel service, Names names) {
    TypeSpec.Builder type = TypeSpec.classBuilder(names.methodHandlers)
        .addModifiers(Modifier.PRIVATE, Modifier.STATIC, Modifier.FINAL)
        .addTypeVariable(REQ)
        .addTypeVariable(RESP)
        .addJavadoc("Adapts {@link $T} to the handler shapes of {@link $T}, one instance per rpc.\n",
            names.asyncService, SERVER_CALLS);
    for (String shape : List.of("UnaryMethod", "ServerStreamingMethod", "ClientStreamingMethod", "BidiStreamingMethod")) {
      type.addSuperinterface(ParameterizedTypeName.get(SERVER_CALLS.nestedClass(shape), REQ, RESP));
    }
    type.addField(names.asyncService, "serviceImpl", Modifier.PRIVATE, Modifier.FINAL)
        .addField(int.class, "methodId", Modifier.PRIVATE, Modifier.FINAL)
        .addMethod(MethodSpec.constructorBuilder()
            .addParameter(names.asyncService, "serviceImpl")
            .addParameter(int.class, "methodId")
            .addStatement("this.serviceImpl = serviceImpl")
            .addStatement("this.methodId = methodId")
            .build());

    CodeBlock.Builder single = CodeBlock.builder().beginControlFlow("switch (methodId)");
    CodeBlock.Builder streaming = CodeBlock.builder().beginControlFlow("switch (methodId)");
    for (Rpc rpc : service.rpcs()) {
      if (rpc.shape().singleRequest()) {
        single.add("case $N:\n", rpc.methodIdConstant()).indent()
            .addStatement("serviceImpl.$N(\n($T) request, ($T) responseObserver)",
                rpc.methodName(), rpc.request(), observerOf(rpc.response()))
            .addStatement("break")
            .unindent();
      } else {
        streaming.add("case $N:\n", rpc.methodIdConstant()).indent()
            .addStatement("return ($T) serviceImpl.$N(\n($T) responseObserver)",
                observerOf(REQ), rpc.methodName(), observerOf(rpc.response()))
            .unindent();
      }
    }
    single.add("default:\n").indent()
        .addStatement("throw new $T(\"no unary or server-streaming rpc has method id \" + methodId)", AssertionError.class)
        .unindent().endControlFlow();
    streaming.add("default:\n").indent()
        .addStatement("throw new $T(\"no client- or bidirectional-streaming rpc has method id \" + methodId)",
            AssertionError.class)
        .unindent().endControlFlow();

    AnnotationSpec unchecked = AnnotationSpec.builder(SuppressWarnings.class).addMember("value", "$S", "unchecked").build();
    type.addMethod(MethodSpec.methodBuilder("invoke")
        .addAnnotation(Override.class)
        .addAnnotation(unchecked)
        .addModifiers(Modifier.PUBLIC)
        .addParameter(REQ, "request")
        .addParameter(observerOf(RESP), "responseObserver")
        .addCode(single.build())
        .build());
    type.addMethod(MethodSpec.methodBuilder("invoke")
        .addAnnotation(Override.class)
        .addAnnotation(unchecked)
        .addModifiers(Modifier.PUBLIC)
        .returns(observerOf(REQ))
        .addParameter(observerOf(RESP), "responseObserver")
        .addCode(streaming.build())
        .build());
    return type.build();
  }

  // ---------------------------------------------------------------------------------------------
  // Client side

  private static TypeSpec asyncStub(ServiceModel service, Names names) {
    TypeSpec.Builder type = stubClass(names.stub, ABSTRACT_ASYNC_STUB)
        .addJavadoc(withServiceComment(service,
            "Async stub of {@code $L}.\n"
                + "Unary rpcs take a {@link $T} for the response, as in gRPC-java, or return a\n"
                + "{@link $T}; streaming rpcs send and receive through {@link $T}s. The {@code withX}\n"
                + "methods derive stubs with other call options, for example {@code withDeadlineAfter}.\n"
                + "Immutable and thread-safe.\n",
            service.fullName(), STREAM_OBSERVER, COMPLETABLE_FUTURE, STREAM_OBSERVER));
    for (Rpc rpc : service.rpcs()) {
      CodeBlock newCall = CodeBlock.of("getChannel().newCall($T.$N(), getCallOptions())",
          service.javaClass(), rpc.descriptorGetter());
      MethodSpec.Builder method = MethodSpec.methodBuilder(rpc.methodName()).addModifiers(Modifier.PUBLIC);
      switch (rpc.shape()) {
        case UNARY -> {
          MethodSpec.Builder observed = MethodSpec.methodBuilder(rpc.methodName()).addModifiers(Modifier.PUBLIC)
              .addJavadoc(withRpcComment(rpc, "Starts the unary rpc {@code $L}; the response, or the failure, goes to\n"
                  + "{@code responseObserver}.\n", rpc.protoName()))
              .addParameter(rpc.request(), "request")
              .addParameter(observerOf(rpc.response()), "responseObserver")
              .addStatement("$T.asyncUnaryCall(\n$L,\nrequest, responseObserver)", CLIENT_CALLS, newCall);
          deprecate(observed, rpc);
          type.addMethod(observed.build());
          method
              .addJavadoc(withRpcComment(rpc, "Starts the unary rpc {@code $L}. The future completes with the response, or\n"
                  + "exceptionally with a {@link $T}; cancelling it cancels the call.\n",
                  rpc.protoName(), STATUS_RUNTIME_EXCEPTION))
              .returns(ParameterizedTypeName.get(COMPLETABLE_FUTURE, rpc.response()))
              .addParameter(rpc.request(), "request")
              .addStatement("return $T.futureUnaryCall(\n$L, request)", CLIENT_CALLS, newCall);
        }
        case SERVER_STREAMING -> method
            .addJavadoc(withRpcComment(rpc, "Starts the server-streaming rpc {@code $L}; the responses go to\n{@code responseObserver}.\n",
                rpc.protoName()))
            .addParameter(rpc.request(), "request")
            .addParameter(observerOf(rpc.response()), "responseObserver")
            .addStatement("$T.asyncServerStreamingCall(\n$L,\nrequest, responseObserver)", CLIENT_CALLS, newCall);
        case CLIENT_STREAMING -> method
            .addJavadoc(withRpcComment(rpc, "Starts the client-streaming rpc {@code $L}: send the requests to the returned observer;\n"
                + "the response goes to {@code responseObserver}.\n", rpc.protoName()))
            .returns(observerOf(rpc.request()))
            .addParameter(observerOf(rpc.response()), "responseObserver")
            .addStatement("return $T.asyncClientStreamingCall(\n$L, responseObserver)", CLIENT_CALLS, newCall);
        case BIDI_STREAMING -> method
            .addJavadoc(withRpcComment(rpc, "Starts the bidirectional-streaming rpc {@code $L}: send the requests to the returned\n"
                + "observer; the responses go to {@code responseObserver}.\n", rpc.protoName()))
            .returns(observerOf(rpc.request()))
            .addParameter(observerOf(rpc.response()), "responseObserver")
            .addStatement("return $T.asyncBidiStreamingCall(\n$L, responseObserver)", CLIENT_CALLS, newCall);
      }
      deprecate(method, rpc);
      type.addMethod(method.build());
    }
    return type.build();
  }

  private static TypeSpec blockingStub(ServiceModel service, Names names) {
    TypeSpec.Builder type = stubClass(names.blockingStub, ABSTRACT_BLOCKING_STUB)
        .addJavadoc(withServiceComment(service,
            "Blocking stub of {@code $L}.\n"
                + "Unary rpcs wait for their response on the calling thread; server-streaming rpcs return a\n"
                + "{@link $T}. Client- and bidirectional-streaming rpcs are on the async stub\n"
                + "only. Immutable and thread-safe.\n",
            service.fullName(), BLOCKING_RESPONSE_STREAM));
    for (Rpc rpc : service.rpcs()) {
      MethodSpec.Builder method = MethodSpec.methodBuilder(rpc.methodName()).addModifiers(Modifier.PUBLIC);
      switch (rpc.shape()) {
        case UNARY -> method
            .addJavadoc(withRpcComment(rpc, "Calls the unary rpc {@code $L} and waits for its response.\n"
                + "\n@throws $T if the call fails\n", rpc.protoName(), STATUS_RUNTIME_EXCEPTION))
            .returns(rpc.response())
            .addParameter(rpc.request(), "request")
            .addStatement("return $T.blockingUnaryCall(\ngetChannel(), $T.$N(), getCallOptions(), request)",
                CLIENT_CALLS, service.javaClass(), rpc.descriptorGetter());
        case SERVER_STREAMING -> method
            .addJavadoc(withRpcComment(rpc, "Starts the server-streaming rpc {@code $L}; iterate the returned stream on this thread,\n"
                + "and close it to cancel the call if you stop early.\n", rpc.protoName()))
            .returns(ParameterizedTypeName.get(BLOCKING_RESPONSE_STREAM, rpc.response()))
            .addParameter(rpc.request(), "request")
            .addStatement("return $T.blockingServerStreamingCall(\ngetChannel(), $T.$N(), getCallOptions(), request)",
                CLIENT_CALLS, service.javaClass(), rpc.descriptorGetter());
        case CLIENT_STREAMING, BIDI_STREAMING -> {
          continue;
        }
      }
      deprecate(method, rpc);
      type.addMethod(method.build());
    }
    return type.build();
  }

  private static TypeSpec futureStub(ServiceModel service, Names names) {
    TypeSpec.Builder type = stubClass(names.futureStub, ABSTRACT_FUTURE_STUB)
        .addJavadoc(withServiceComment(service,
            "Future stub of {@code $L}.\n"
                + "Unary rpcs return a {@link $T} (where gRPC-java's future stub returns a\n"
                + "{@code ListenableFuture}); streaming rpcs are on the async stub only. Immutable and\n"
                + "thread-safe.\n",
            service.fullName(), COMPLETABLE_FUTURE));
    for (Rpc rpc : service.rpcs()) {
      if (rpc.shape() != Shape.UNARY) {
        continue;
      }
      MethodSpec.Builder method = MethodSpec.methodBuilder(rpc.methodName()).addModifiers(Modifier.PUBLIC)
          .addJavadoc(withRpcComment(rpc, "Starts the unary rpc {@code $L}. The future completes with the response, or\n"
              + "exceptionally with a {@link $T}; cancelling it cancels the call.\n",
              rpc.protoName(), STATUS_RUNTIME_EXCEPTION))
          .returns(ParameterizedTypeName.get(COMPLETABLE_FUTURE, rpc.response()))
          .addParameter(rpc.request(), "request")
          .addStatement("return $T.futureUnaryCall(\ngetChannel().newCall($T.$N(), getCallOptions()), request)",
              CLIENT_CALLS, service.javaClass(), rpc.descriptorGetter());
      deprecate(method, rpc);
      type.addMethod(method.build());
    }
    return type.build();
  }

  private static TypeSpec.Builder stubClass(ClassName stub, ClassName base) {
    return TypeSpec.classBuilder(stub)
        .addModifiers(Modifier.PUBLIC, Modifier.STATIC, Modifier.FINAL)
        .superclass(ParameterizedTypeName.get(base, stub))
        .addMethod(MethodSpec.constructorBuilder()
            .addModifiers(Modifier.PRIVATE)
            .addParameter(CHANNEL, "channel")
            .addParameter(CALL_OPTIONS, "callOptions")
            .addStatement("super(channel, callOptions)")
            .build())
        .addMethod(MethodSpec.methodBuilder("build")
            .addAnnotation(Override.class)
            .addModifiers(Modifier.PROTECTED)
            .returns(stub)
            .addParameter(CHANNEL, "channel")
            .addParameter(CALL_OPTIONS, "callOptions")
            .addStatement("return new $T(channel, callOptions)", stub)
            .build());
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static TypeName methodDescriptorOf(Rpc rpc) {
    return ParameterizedTypeName.get(METHOD_DESCRIPTOR, rpc.request(), rpc.response());
  }

  private static TypeName observerOf(TypeName type) {
    return ParameterizedTypeName.get(STREAM_OBSERVER, type);
  }

  /** The service's own comment first (IDEs show the first sentence), then what the generated type is. */
  private static CodeBlock withServiceComment(ServiceModel service, String format, Object... args) {
    return withComment(service.javadoc(), format, args);
  }

  private static CodeBlock withRpcComment(Rpc rpc, String format, Object... args) {
    return withComment(rpc.javadoc(), format, args);
  }

  private static CodeBlock withComment(String comment, String format, Object... args) {
    CodeBlock.Builder doc = CodeBlock.builder();
    if (!comment.isEmpty()) {
      doc.add("$L\n<p>", comment);
    }
    return doc.add(format, args).build();
  }

  /** Marks a deprecated rpc's member {@code @Deprecated}, and says why in its Javadoc. */
  private static void deprecate(MethodSpec.Builder method, Rpc rpc) {
    if (rpc.deprecated()) {
      method.addAnnotation(Deprecated.class);
      method.addJavadoc("\n@deprecated The rpc is marked deprecated in its .proto file.\n");
    }
  }

  /**
   * A file name as it may appear in a {@code //} comment: javac turns {@code \}{@code u000a} into a line
   * break even there, so backslashes are doubled (an even run of backslashes starts no escape).
   */
  private static String commentSafe(String text) {
    return text.replace("\\", "\\\\");
  }
}
