package dev.spoke.grpc.internal;

import dev.spoke.MethodDescriptor;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServerInterceptors;
import dev.spoke.ServerMethodDefinition;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Serves whatever a Spoke {@link ServiceRegistry} holds to a gRPC server, services added or removed
 * later included: a method is looked up in the registry on every call, as Spoke's own transports do.
 * Each method's gRPC definition is made once and reused while the registry keeps the same Spoke
 * definition; the lookup takes no lock and, once the method was seen, allocates nothing.
 *
 * <p>It is also the server's per-call executor choice: a service bound to an executor in the registry
 * runs there ({@link dev.spoke.DirectExecutor}: on gRPC's transport thread), any other on the server's
 * default executor.
 *
 * <p>Thread-safe.
 */
public final class RegistryHandlers extends HandlerRegistry implements ServerCallExecutorSupplier {

  private final ServiceRegistry registry;
  /** The server's own Spoke interceptors, outside the registry's. */
  private final List<ServerInterceptor> interceptors;
  private final ConcurrentHashMap<String, Entry> byName = new ConcurrentHashMap<>();

  /** Serves {@code registry}'s services, each call through {@code interceptors} first (the last sees it first). */
  public RegistryHandlers(ServiceRegistry registry, List<ServerInterceptor> interceptors) {
    this.registry = registry;
    this.interceptors = List.copyOf(interceptors);
  }

  @Override
  public io.grpc.ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
    ServiceRegistry.Registration r = registration(methodName);
    return r == null ? null : byName.get(methodName).grpc;
  }

  @Override
  public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
    ServiceRegistry.Registration r = registration(call.getMethodDescriptor().getFullMethodName());
    return r == null ? null : r.executor();
  }

  /** The registration serving {@code methodName} now, with its gRPC definition in {@link #byName}; or null. */
  private ServiceRegistry.Registration registration(String methodName) {
    Entry e = byName.get(methodName);
    int id = e != null ? e.id : MethodDescriptor.methodIdOf(methodName);
    ServiceRegistry.Registration r = registry.lookup(id);
    if (r == null || !r.method().getMethodDescriptor().getFullMethodName().equals(methodName)) {
      return null; // not bound, or another method with the same id (the registry refuses collisions)
    }
    if (e == null || e.spoke != r.method()) {
      ServerMethodDefinition<?, ?> served = interceptors.isEmpty() ? r.method() : ServerInterceptors.intercept(r.method(), interceptors);
      byName.put(methodName, new Entry(id, r.method(), toGrpc(served, registry)));
    }
    return r;
  }

  @Override
  public List<io.grpc.ServerServiceDefinition> getServices() {
    List<io.grpc.ServerServiceDefinition> out = new ArrayList<>();
    for (ServerServiceDefinition s : registry.services()) {
      out.add(GrpcServiceDefinitions.toGrpc(s));
    }
    return out;
  }

  private static io.grpc.ServerMethodDefinition<?, ?> toGrpc(ServerMethodDefinition<?, ?> m, ServiceRegistry registry) {
    String service = m.getMethodDescriptor().getServiceName();
    for (ServerServiceDefinition s : registry.services()) {
      if (s.getServiceDescriptor().getName().equals(service)) {
        return GrpcServiceDefinitions.toGrpc(m, s.getServiceDescriptor());
      }
    }
    return GrpcServiceDefinitions.toGrpc(m, null);
  }

  /** A method's id, and its gRPC definition made for one Spoke definition. */
  private static final class Entry {
    final int id;
    final ServerMethodDefinition<?, ?> spoke;
    final io.grpc.ServerMethodDefinition<?, ?> grpc;

    Entry(int id, ServerMethodDefinition<?, ?> spoke, io.grpc.ServerMethodDefinition<?, ?> grpc) {
      this.id = id;
      this.spoke = spoke;
      this.grpc = grpc;
    }
  }
}
