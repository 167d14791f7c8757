package dev.spoke.testing;

import dev.spoke.Status;
import java.util.concurrent.TimeUnit;

/**
 * The server side of a call-layer test, as the test sees it: a connection serving {@link TestService}
 * in this JVM ({@link LocalServerSide}) or in a child process ({@link ChildServerSide}). What the
 * server's {@code TestService} records reaches the test's own {@code TestService} either way.
 */
public interface ServerSide extends AutoCloseable {

  /** Calls the server is serving now. */
  int activeCalls();

  /** Calls the server has started serving so far. */
  long callsServed();

  /** Graceful shutdown: no new calls (GOAWAY), calls in flight go on. */
  void shutdown(String reason);

  /** Waits until the calls in flight of a server that is shutting down have ended. */
  boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException;

  /** Ends every call at once with {@code status} and closes the connection. */
  void shutdownNow(Status status);

  /** Serves {@code fixture} too, from now on. */
  void serve(ServerFixture fixture);

  /** Shuts the server down and releases what it holds. */
  @Override
  void close() throws Exception;
}
