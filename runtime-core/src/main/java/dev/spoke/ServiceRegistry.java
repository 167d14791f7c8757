package dev.spoke;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The services one side serves, looked up by method id when a call arrives. Services can be added and
 * removed while calls flow; a lookup never takes a lock.
 *
 * <p>Each service runs its handlers on an executor: the connection's worker pool by default, any
 * executor given at binding, or {@link DirectExecutor#INSTANCE} to run inline on the thread that delivers the call.
 *
 * <p>{@link #intercept Interceptors} given here see the calls of every service, before the
 * interceptors a service was bound with; they are woven into the lookup table when it is built, so a
 * registry without them pays nothing per call.
 *
 * <p>Binding refuses a service whose method id collides with one already bound, naming both methods;
 * ids are hashes of full method names, so a collision is rare but must never route a call to the wrong
 * method.
 *
 * <p>Thread-safe.
 */
public final class ServiceRegistry {

  /** A bound method and where its handler runs. */
  public static final class Registration {
    private final ServerMethodDefinition<?, ?> method;
    private final Executor executor;

    Registration(ServerMethodDefinition<?, ?> method, Executor executor) {
      this.method = method;
      this.executor = executor;
    }

    /** The method registered. */
    public ServerMethodDefinition<?, ?> method() {
      return method;
    }

    /** The executor given at binding, or null for the connection's default. */
    public Executor executor() {
      return executor;
    }
  }

  private final Map<String, ServerServiceDefinition> services = new LinkedHashMap<>();
  private final Map<String, Executor> executors = new LinkedHashMap<>();
  private final List<ServerInterceptor> interceptors = new ArrayList<>();
  private volatile MethodTable table = MethodTable.build(List.of());

  /** Binds a service to run on the connection's default executor. */
  public ServiceRegistry addService(BindableService service) {
    return addService(service.bindService(), null);
  }

  /** Binds a service to run on {@code executor}. */
  public ServiceRegistry addService(BindableService service, Executor executor) {
    return addService(service.bindService(), executor);
  }

  /** Binds a service to run on the connection's default executor. */
  public ServiceRegistry addService(ServerServiceDefinition service) {
    return addService(service, null);
  }

  /**
   * Binds a service to run on {@code executor} (null: the connection's default).
   *
   * @throws IllegalStateException if a service of that name is bound already, or a method id collides
   *     with one already bound
   */
  public synchronized ServiceRegistry addService(ServerServiceDefinition service, Executor executor) {
    String name = service.getServiceDescriptor().getName();
    if (services.containsKey(name)) {
      throw new IllegalStateException("service " + name + " is already bound");
    }
    Map<String, ServerServiceDefinition> next = new LinkedHashMap<>(services);
    next.put(name, service);
    Map<String, Executor> nextExecutors = new LinkedHashMap<>(executors);
    nextExecutors.put(name, executor);
    table = MethodTable.build(registrations(next, nextExecutors, interceptors)); // throws on a collision
    services.put(name, service);
    executors.put(name, executor);
    return this;
  }

  /** Unbinds a service; calls already running finish. Returns whether it was bound. */
  public synchronized boolean removeService(String serviceName) {
    if (services.remove(serviceName) == null) {
      return false;
    }
    executors.remove(serviceName);
    table = MethodTable.build(registrations(services, executors, interceptors));
    return true;
  }

  /**
   * Adds interceptors that see the calls of every service, bound now or later, as gRPC-java's {@code
   * ServerBuilder.intercept} does: the interceptor added last sees each call first, and all of them see
   * it before the interceptors a service was bound with.
   */
  public synchronized ServiceRegistry intercept(ServerInterceptor... added) {
    for (ServerInterceptor i : added) {
      interceptors.add(java.util.Objects.requireNonNull(i, "interceptor"));
    }
    table = MethodTable.build(registrations(services, executors, interceptors));
    return this;
  }

  /** The interceptors added with {@link #intercept}, in the order added. */
  public synchronized List<ServerInterceptor> interceptors() {
    return new ArrayList<>(interceptors);
  }

  /** The bound services, in binding order. */
  public synchronized List<ServerServiceDefinition> services() {
    return new ArrayList<>(services.values());
  }

  /** The full names of every method of the bound services ({@code package.Service/Method}), in binding order. */
  public synchronized List<String> methodNames() {
    List<String> out = new ArrayList<>();
    for (ServerServiceDefinition service : services.values()) {
      for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
        out.add(m.getMethodDescriptor().getFullMethodName());
      }
    }
    return out;
  }

  /** The names of the bound services, in binding order. */
  public synchronized List<String> serviceNames() {
    return new ArrayList<>(services.keySet());
  }

  /** The registration of a method id, or null when nothing bound serves it. Lock-free. */
  public Registration lookup(int methodId) {
    return table.get(methodId);
  }

  private static List<Registration> registrations(Map<String, ServerServiceDefinition> services,
      Map<String, Executor> executors, List<ServerInterceptor> interceptors) {
    List<Registration> out = new ArrayList<>();
    services.forEach(
        (name, def) -> {
          for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
            out.add(new Registration(ServerInterceptors.intercept(m, interceptors), executors.get(name)));
          }
        });
    return out;
  }

  /** An immutable open-addressing table from method id to registration. */
  private static final class MethodTable {
    private final int[] ids;
    private final Registration[] entries;
    private final int mask;

    private MethodTable(int[] ids, Registration[] entries) {
      this.ids = ids;
      this.entries = entries;
      this.mask = ids.length - 1;
    }

    static MethodTable build(List<Registration> registrations) {
      int capacity = Integer.highestOneBit(Math.max(4, registrations.size() * 2) - 1) << 1;
      int[] ids = new int[capacity];
      Registration[] entries = new Registration[capacity];
      for (Registration r : registrations) {
        MethodDescriptor<?, ?> m = r.method.getMethodDescriptor();
        int id = m.getMethodId();
        int i = mix(id) & (capacity - 1);
        while (entries[i] != null) {
          if (ids[i] == id) {
            throw new IllegalStateException(
                "method id 0x" + Integer.toHexString(id) + " of " + m.getFullMethodName()
                    + " collides with " + entries[i].method.getMethodDescriptor().getFullMethodName()
                    + "; rename one of the two methods");
          }
          i = (i + 1) & (capacity - 1);
        }
        ids[i] = id;
        entries[i] = r;
      }
      return new MethodTable(ids, entries);
    }

    Registration get(int id) {
      int i = mix(id) & mask;
      Registration r;
      while ((r = entries[i]) != null) {
        if (ids[i] == id) {
          return r;
        }
        i = (i + 1) & mask;
      }
      return null;
    }

    private static int mix(int h) {
      h ^= h >>> 16;
      h *= 0x85ebca6b;
      return h ^ (h >>> 13);
    }
  }

  @Override
  public synchronized String toString() {
    return "ServiceRegistry" + services.keySet();
  }
}
