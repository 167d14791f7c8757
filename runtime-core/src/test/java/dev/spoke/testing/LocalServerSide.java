package dev.spoke.testing;

import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.transport.Transport;
import java.util.concurrent.TimeUnit;

/** A server side in this JVM: a connection over {@code transport} serving a {@link TestService}. */
public final class LocalServerSide implements ServerSide {

  private final WorkerPool pool;
  private final Connection connection;

  private LocalServerSide(Transport transport, TestService service) {
    this.pool = WorkerPool.builder("test-server").build();
    ServiceRegistry registry = new ServiceRegistry().addService(service.definition());
    this.connection = Connection.builder(transport).registry(registry).executor(pool).localName("test-server").build();
  }

  /** Starts serving {@code service} over {@code transport}. */
  public static LocalServerSide start(Transport transport, TestService service) {
    LocalServerSide side = new LocalServerSide(transport, service);
    side.connection.start();
    return side;
  }

  /** The server's connection. */
  public Connection connection() {
    return connection;
  }

  @Override
  public int activeCalls() {
    return connection.activeCalls();
  }

  @Override
  public long callsServed() {
    return connection.callsServed();
  }

  @Override
  public void shutdown(String reason) {
    connection.shutdown(reason);
  }

  @Override
  public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
    return connection.awaitDrained(timeout, unit);
  }

  @Override
  public void shutdownNow(Status status) {
    connection.shutdownNow(status);
  }

  @Override
  public void serve(ServerFixture fixture) {
    fixture.bindTo(connection.registry());
  }

  @Override
  public void close() {
    connection.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
    pool.shutdown();
  }
}
