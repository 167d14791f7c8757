package dev.spoke.grpc.internal;

import dev.spoke.ServerMethodDefinition;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceDescriptor;

/**
 * Spoke service definitions as gRPC's: the same service and method names, gRPC's protobuf marshallers,
 * and handlers that run the Spoke ones through {@link BridgedServerCall}.
 *
 * <p>Stateless and thread-safe.
 */
public final class GrpcServiceDefinitions {

  private GrpcServiceDefinitions() {}

  /** The gRPC definition of a whole Spoke service. */
  public static io.grpc.ServerServiceDefinition toGrpc(ServerServiceDefinition service) {
    ServiceDescriptor descriptor = service.getServiceDescriptor();
    io.grpc.ServiceDescriptor.Builder grpcDescriptor = GrpcMethods.serviceBuilder(descriptor);
    java.util.List<io.grpc.ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      io.grpc.ServerMethodDefinition<?, ?> grpc = toGrpc(m, descriptor);
      grpcDescriptor.addMethod(grpc.getMethodDescriptor());
      methods.add(grpc);
    }
    io.grpc.ServerServiceDefinition.Builder b = io.grpc.ServerServiceDefinition.builder(grpcDescriptor.build());
    methods.forEach(b::addMethod);
    return b.build();
  }

  /** The gRPC definition of one method; {@code service} (may be null) supplies the protobuf schema. */
  public static <ReqT, RespT> io.grpc.ServerMethodDefinition<ReqT, RespT> toGrpc(
      ServerMethodDefinition<ReqT, RespT> method, ServiceDescriptor service) {
    return io.grpc.ServerMethodDefinition.create(
        GrpcMethods.toGrpc(method.getMethodDescriptor(), service), BridgedServerCall.handler(method));
  }
}
