package dev.spoke.shm;

import dev.spoke.Status;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameListener;
import java.nio.ByteBuffer;

/**
 * A thread that polls a transport's ring as a blocking caller waiting for its response does, until
 * closed; then it stops waiting, giving back what it kept. For tests of the caller-receive hand-offs.
 */
final class PollingCaller implements AutoCloseable {

  /** A listener that ignores every frame and the close. */
  static final FrameListener IGNORING = new FrameListener() {
    @Override
    public void onFrame(FrameHeader header, ByteBuffer payload) {}

    @Override
    public void onTransportClosed(Status status) {}
  };

  private final Thread thread;
  private volatile boolean stop;

  /** Starts polling {@code transport} on a new thread named {@code name}. */
  PollingCaller(HubTransport transport, String name) {
    thread = new Thread(() -> {
      while (!stop) {
        transport.receiveOnCallerThread(4);
      }
      transport.endReceiveOnCallerThread();
    }, name);
    thread.start();
  }

  /** The polling thread. */
  Thread thread() {
    return thread;
  }

  /** Stops polling and waits up to 30 s for the thread to end; true if it did. */
  boolean stop() throws InterruptedException {
    stop = true;
    thread.join(30_000);
    return !thread.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
