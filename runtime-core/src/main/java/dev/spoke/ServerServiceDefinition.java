package dev.spoke;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A service ready to be served: its descriptor and a handler per method. Generated {@code bindService}
 * methods build these. Immutable.
 */
public final class ServerServiceDefinition {
  private final ServiceDescriptor serviceDescriptor;
  private final Map<String, ServerMethodDefinition<?, ?>> methods;

  private ServerServiceDefinition(
      ServiceDescriptor serviceDescriptor, Map<String, ServerMethodDefinition<?, ?>> methods) {
    this.serviceDescriptor = serviceDescriptor;
    this.methods = Collections.unmodifiableMap(new LinkedHashMap<>(methods));
  }

  /** A builder of the definition of the service {@code serviceDescriptor} describes. */
  public static Builder builder(ServiceDescriptor serviceDescriptor) {
    return new Builder(serviceDescriptor);
  }

  /** A builder for a service with no generated descriptor; the descriptor is derived from the methods. */
  public static Builder builder(String serviceName) {
    return new Builder(serviceName);
  }

  /** The service's descriptor. */
  public ServiceDescriptor getServiceDescriptor() {
    return serviceDescriptor;
  }

  /** The methods served. */
  public Collection<ServerMethodDefinition<?, ?>> getMethods() {
    return methods.values();
  }

  /** The method definition for a full method name, or null. */
  public ServerMethodDefinition<?, ?> getMethod(String fullMethodName) {
    return methods.get(fullMethodName);
  }

  /** Builds a {@link ServerServiceDefinition}. Not thread-safe. */
  public static final class Builder {
    private final ServiceDescriptor serviceDescriptor;
    private final String serviceName;
    private final Map<String, ServerMethodDefinition<?, ?>> methods = new LinkedHashMap<>();

    private Builder(ServiceDescriptor serviceDescriptor) {
      this.serviceDescriptor = Objects.requireNonNull(serviceDescriptor, "serviceDescriptor");
      this.serviceName = serviceDescriptor.getName();
    }

    private Builder(String serviceName) {
      this.serviceDescriptor = null;
      this.serviceName = Objects.requireNonNull(serviceName, "serviceName");
    }

    /** Serves {@code method} with {@code handler}. */
    public <ReqT, RespT> Builder addMethod(
        MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> handler) {
      return addMethod(ServerMethodDefinition.create(method, handler));
    }

    /** Serves a method defined already. */
    public <ReqT, RespT> Builder addMethod(ServerMethodDefinition<ReqT, RespT> def) {
      MethodDescriptor<ReqT, RespT> method = def.getMethodDescriptor();
      if (!serviceName.equals(method.getServiceName())) {
        throw new IllegalArgumentException(
            "method " + method.getFullMethodName() + " does not belong to service " + serviceName);
      }
      if (methods.putIfAbsent(method.getFullMethodName(), def) != null) {
        throw new IllegalStateException("method " + method.getFullMethodName() + " is added twice");
      }
      return this;
    }

    /** The definition. */
    public ServerServiceDefinition build() {
      ServiceDescriptor descriptor = serviceDescriptor;
      if (descriptor == null) {
        ServiceDescriptor.Builder b = ServiceDescriptor.newBuilder(serviceName);
        methods.values().forEach(m -> b.addMethod(m.getMethodDescriptor()));
        descriptor = b.build();
      } else {
        for (MethodDescriptor<?, ?> m : descriptor.getMethods()) {
          if (!methods.containsKey(m.getFullMethodName())) {
            throw new IllegalStateException("no handler for method " + m.getFullMethodName());
          }
        }
      }
      return new ServerServiceDefinition(descriptor, methods);
    }
  }
}
