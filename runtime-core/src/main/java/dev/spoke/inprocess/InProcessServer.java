package dev.spoke.inprocess;

import dev.spoke.BindableService;
import dev.spoke.Channel;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.transport.InMemoryTransport;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Services served inside this JVM, and a {@link Channel} to them: for unit tests of services and of
 * code that calls them, with the same call layer, threading and errors as a plugin over the hub.
 *
 * <pre>{@code
 * try (InProcessServer server = InProcessServer.start(new GreeterImpl())) {
 *   HelloReply reply = GreeterSpoke.newBlockingStub(server.channel()).sayHello(request);
 * }
 * }</pre>
 *
 * <p>Thread-safe. Closing ends every call still in flight with {@code UNAVAILABLE}.
 */
public final class InProcessServer implements AutoCloseable {

  private final WorkerPool pool;
  private final ServiceRegistry registry;
  private final Connection server;
  private final Connection client;
  private final InMemoryTransport[] transports;

  private InProcessServer(ServiceRegistry registry, String name) {
    this.pool = WorkerPool.builder("spoke-inprocess-" + name).build();
    this.registry = registry;
    InMemoryTransport[] pair = InMemoryTransport.pair(name + "-client", name);
    this.transports = pair;
    // NOTE: once the pool has stopped, a call started or cancelled afterwards (or racing the close) still
    // has its ending to deliver: it runs on the thread that asked, rather than being refused and thrown at
    // a caller who never hears how the call ended.
    java.util.concurrent.Executor callbacks = task -> {
      try {
        pool.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        task.run();
      }
    };
    this.server = Connection.builder(pair[1]).registry(registry).executor(callbacks).localName(name).build().start();
    this.client = Connection.builder(pair[0]).executor(callbacks).localName(name + "-client").build().start();
  }

  /** Starts serving {@code services} under the name "in-process". */
  public static InProcessServer start(BindableService... services) {
    ServiceRegistry registry = new ServiceRegistry();
    for (BindableService s : services) {
      registry.addService(s);
    }
    return new InProcessServer(registry, "in-process");
  }

  /**
   * Starts serving {@code services} under the name "in-process", every call going through {@code
   * interceptors} first (the last given sees each call first).
   */
  public static InProcessServer start(List<? extends ServerInterceptor> interceptors, BindableService... services) {
    ServiceRegistry registry = new ServiceRegistry();
    registry.intercept(interceptors.toArray(new ServerInterceptor[0]));
    for (BindableService s : services) {
      registry.addService(s);
    }
    return new InProcessServer(registry, "in-process");
  }

  /**
   * Starts serving the services of {@code registry} under {@code name} (which appears in errors); the
   * registry's {@link ServiceRegistry#intercept interceptors} see every call.
   */
  public static InProcessServer start(String name, ServiceRegistry registry) {
    return new InProcessServer(registry, name);
  }

  /** Adds a service while serving. */
  public InProcessServer addService(ServerServiceDefinition service) {
    registry.addService(service);
    return this;
  }

  /** A channel to the services; hand it to generated stubs. */
  public Channel channel() {
    return client.channel();
  }

  /**
   * Stops: refuses new calls, waits up to {@code grace} for calls in flight, then ends the rest with
   * {@code UNAVAILABLE}. Returns whether everything finished within the grace period.
   */
  public boolean shutdown(long grace, TimeUnit unit) throws InterruptedException {
    long deadline = System.nanoTime() + unit.toNanos(grace);
    server.shutdown("the in-process server is shutting down");
    // Both sides: the server finishing a call does not mean its response has reached the client.
    boolean drained = server.awaitDrained(grace, unit)
        && client.awaitDrained(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    close();
    return drained;
  }

  /** Ends every call at once with {@code UNAVAILABLE} and releases the threads. Idempotent. */
  @Override
  public void close() {
    Status closed = Status.UNAVAILABLE.withDescription("the in-process server was closed");
    client.shutdownNow(closed);
    server.shutdownNow(closed);
    // The calls' endings are handed to the pool as the transports report the close: let that happen
    // before the pool stops taking tasks, or an ending could be refused and a caller never hear it.
    try {
      for (InMemoryTransport t : transports) {
        t.awaitCloseDelivered(1, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdown();
  }
}
