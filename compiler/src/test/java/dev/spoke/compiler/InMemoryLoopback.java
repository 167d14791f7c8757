package dev.spoke.compiler;

import dev.spoke.BindableService;
import dev.spoke.Channel;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.transport.InMemoryTransport;
import java.util.concurrent.TimeUnit;

/**
 * A client and a server connection over runtime-core's in-memory transport, the server serving the
 * given services: what the generated stubs and service bases run against in these tests.
 *
 * <p>{@link #close()} ends everything and fails if the worker pools do not stop within a bound.
 */
final class InMemoryLoopback implements AutoCloseable {

  private final WorkerPool clientPool = WorkerPool.builder("loopback-client").build();
  private final WorkerPool serverPool = WorkerPool.builder("loopback-server").build();
  private final Connection client;
  private final Connection server;

  InMemoryLoopback(BindableService... services) {
    this(definitions(services));
  }

  InMemoryLoopback(ServerServiceDefinition... services) {
    ServiceRegistry registry = new ServiceRegistry();
    for (ServerServiceDefinition service : services) {
      registry.addService(service);
    }
    InMemoryTransport[] pair = InMemoryTransport.pair("loopback-client", "loopback-server");
    server = Connection.builder(pair[1]).registry(registry).executor(serverPool).localName("loopback-server").build();
    client = Connection.builder(pair[0]).executor(clientPool).localName("loopback-client").build();
    server.start();
    client.start();
  }

  private static ServerServiceDefinition[] definitions(BindableService[] services) {
    ServerServiceDefinition[] definitions = new ServerServiceDefinition[services.length];
    for (int i = 0; i < services.length; i++) {
      definitions[i] = services[i].bindService();
    }
    return definitions;
  }

  /** The channel to the served services, as a plugin or host gets one. */
  Channel channel() {
    return client.channel();
  }

  @Override
  public void close() {
    client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
    server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
    clientPool.shutdown();
    serverPool.shutdown();
    try {
      if (!clientPool.awaitTermination(10, TimeUnit.SECONDS) || !serverPool.awaitTermination(10, TimeUnit.SECONDS)) {
        throw new AssertionError("the loopback's worker pools did not stop within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping the loopback", e);
    }
  }
}
