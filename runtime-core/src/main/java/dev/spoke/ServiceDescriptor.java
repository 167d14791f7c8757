package dev.spoke;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A service's name and its methods; generated code provides one per service. Immutable.
 */
public final class ServiceDescriptor {
  private final String name;
  private final List<MethodDescriptor<?, ?>> methods;
  private final Object schemaDescriptor;

  private ServiceDescriptor(String name, List<MethodDescriptor<?, ?>> methods, Object schemaDescriptor) {
    this.name = Objects.requireNonNull(name, "name");
    this.methods = Collections.unmodifiableList(new ArrayList<>(methods));
    this.schemaDescriptor = schemaDescriptor;
    for (MethodDescriptor<?, ?> m : methods) {
      if (!name.equals(m.getServiceName())) {
        throw new IllegalArgumentException(
            "method " + m.getFullMethodName() + " does not belong to service " + name);
      }
    }
  }

  /** A builder of the descriptor of the service named {@code name} ({@code package.Service}). */
  public static Builder newBuilder(String name) {
    return new Builder(name);
  }

  /** The service's full name. */
  public String getName() {
    return name;
  }

  /** The service's methods. */
  public Collection<MethodDescriptor<?, ?>> getMethods() {
    return methods;
  }

  /** The protobuf service descriptor, when the service came from a .proto; otherwise null. */
  public Object getSchemaDescriptor() {
    return schemaDescriptor;
  }

  @Override
  public String toString() {
    return "ServiceDescriptor{" + name + ", " + methods.size() + " methods}";
  }

  /** Builds a {@link ServiceDescriptor}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    private Object schemaDescriptor;

    private Builder(String name) {
      this.name = name;
    }

    /** Adds one of the service's methods. */
    public Builder addMethod(MethodDescriptor<?, ?> method) {
      methods.add(Objects.requireNonNull(method, "method"));
      return this;
    }

    /** The protobuf descriptor of the service, for reflection, or null (lite). */
    public Builder setSchemaDescriptor(Object schemaDescriptor) {
      this.schemaDescriptor = schemaDescriptor;
      return this;
    }

    /** The descriptor. */
    public ServiceDescriptor build() {
      return new ServiceDescriptor(name, methods, schemaDescriptor);
    }
  }
}
