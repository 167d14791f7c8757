package dev.spoke.compiler;

import com.palantir.javapoet.ClassName;
import java.util.List;

/**
 * One service as the code generator needs it: every name already resolved and checked, so that
 * {@link ServiceGenerator} only lays out code.
 *
 * @param protoFile the name of the {@code .proto} file that defines the service
 * @param fullName the service's full proto name, {@code package.Service}
 * @param protoName the service's simple proto name, {@code Service}
 * @param javaClass the class to generate, {@code <Service>Spoke}
 * @param protoOuterClass the outer class protoc generates for the file, which holds its descriptor
 * @param lite true to leave out the protobuf descriptor (lite messages have none)
 * @param deprecated true if the service is marked {@code deprecated}
 * @param referencesDeprecatedMessages true if an rpc's request or response class is deprecated, so
 *     the generated class must not warn about using it
 * @param javadoc the service's comment as Javadoc, or ""
 * @param rpcs the service's rpcs, in declaration order
 */
record ServiceModel(
    String protoFile,
    String fullName,
    String protoName,
    ClassName javaClass,
    ClassName protoOuterClass,
    boolean lite,
    boolean deprecated,
    boolean referencesDeprecatedMessages,
    String javadoc,
    List<Rpc> rpcs) {

  /** The four shapes of an rpc, named as {@code dev.spoke.MethodDescriptor.MethodType} names them. */
  enum Shape {
    UNARY("unary"),
    SERVER_STREAMING("server-streaming"),
    CLIENT_STREAMING("client-streaming"),
    BIDI_STREAMING("bidirectional-streaming");

    /** How Javadoc describes the shape. */
    final String description;

    Shape(String description) {
      this.description = description;
    }

    static Shape of(boolean clientStreaming, boolean serverStreaming) {
      if (clientStreaming) {
        return serverStreaming ? BIDI_STREAMING : CLIENT_STREAMING;
      }
      return serverStreaming ? SERVER_STREAMING : UNARY;
    }

    /** True if the client sends exactly one request. */
    boolean singleRequest() {
      return this == UNARY || this == SERVER_STREAMING;
    }
  }

  /**
   * One rpc.
   *
   * @param protoName the rpc's name in the {@code .proto}, which is also its name on the wire
   * @param methodName the Java method of stubs and services ({@code getURL}, {@code default_})
   * @param descriptorGetter the static accessor of its method descriptor ({@code getGetURLMethod})
   * @param methodIdConstant its dispatch constant ({@code METHODID_GET_URL})
   * @param shape the call shape
   * @param request the request message class
   * @param response the response message class
   * @param deprecated true if the rpc is marked {@code deprecated}
   * @param javadoc the rpc's comment as Javadoc, or ""
   */
  record Rpc(
      String protoName,
      String methodName,
      String descriptorGetter,
      String methodIdConstant,
      Shape shape,
      ClassName request,
      ClassName response,
      boolean deprecated,
      String javadoc) {}
}
