package dev.spoke;

import java.util.concurrent.Executor;

/**
 * Runs each task at once on the calling thread. Bind a service with it (opt-in, as with gRPC-java's
 * {@code directExecutor()}) to run its handlers inline on the thread that delivers their frames (the
 * transport's receive thread): the fastest path, for handlers that finish quickly. A handler bound this
 * way may make blocking Spoke calls — the thread hands delivery to another thread before it waits, so
 * neither its own response nor anybody else's frame waits for it — but it must not block in anything
 * else (a sleep, I/O, a lock, a {@code Future.get()}): that holds up every other call of the connection.
 */
public enum DirectExecutor implements Executor {
  /** The one instance. */
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
