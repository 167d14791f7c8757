package dev.spoke.internal;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import dev.spoke.transport.Transport;
import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * A transport that delegates to another, except that each commit goes through a hook the test gives
 * (which commits the frame itself, or aborts it and throws), and faults are explained as the test says:
 * it holds open moments a real transport passes through quickly.
 */
final class HookedTransport implements Transport {

  /** Commits {@code frame} (the delegate's), or not, with whatever the test needs around it. */
  interface Commit {
    void commit(OutboundFrame frame) throws StatusException;
  }

  private final Transport delegate;
  private final Commit commit;
  private final Function<Throwable, Status> explain;

  HookedTransport(Transport delegate, Commit commit, Function<Throwable, Status> explain) {
    this.delegate = delegate;
    this.commit = commit;
    this.explain = explain;
  }

  @Override
  public void start(FrameListener listener) {
    delegate.start(listener);
  }

  @Override
  public OutboundFrame claim(int payloadLength, long deadlineNanos) throws StatusException {
    OutboundFrame frame = delegate.claim(payloadLength, deadlineNanos);
    return new OutboundFrame() {
      @Override
      public ByteBuffer payload() {
        return frame.payload();
      }

      @Override
      public FrameHeader header() {
        return frame.header();
      }

      @Override
      public void commit() throws StatusException {
        commit.commit(frame);
      }

      @Override
      public void abort() {
        frame.abort();
      }
    };
  }

  @Override
  public Status explainFault(Throwable error) {
    return explain.apply(error);
  }

  @Override
  public int maxPayloadLength() {
    return delegate.maxPayloadLength();
  }

  @Override
  public void close(Status status) {
    delegate.close(status);
  }

  @Override
  public String remoteName() {
    return delegate.remoteName();
  }
}
