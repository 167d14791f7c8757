package dev.spoke;

import java.util.concurrent.Executor;

/**
 * Runs each task at once on the calling thread. Bind a service with it (opt-in, as with gRPC-java's
 * {@code directExecutor()}) to run its handlers inline on the transport's receive thread: the fastest
 * path, for handlers that never block and finish quickly. A blocking handler bound this way stalls every
 * other call of the connection.
 */
public enum DirectExecutor implements Executor {
  INSTANCE;

  @Override
  public void execute(Runnable command) {
    command.run();
  }

  @Override
  public String toString() {
    return "DirectExecutor";
  }
}
