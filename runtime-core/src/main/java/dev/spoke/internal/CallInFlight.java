package dev.spoke.internal;

import dev.spoke.MethodDescriptor;

/**
 * One call of a connection that has started and not ended, as diagnostics show it: which method, which
 * way, since when, and until when it may run.
 *
 * <p>Immutable.
 */
public final class CallInFlight {
  private final long callId;
  private final String fullMethodName;
  private final int methodId;
  private final MethodDescriptor.MethodType type;
  private final boolean outgoing;
  private final long startedNanos;
  private final long deadlineNanos;
  private final boolean hasDeadline;

  CallInFlight(long callId, MethodDescriptor<?, ?> method, boolean outgoing, long startedNanos, Long deadlineNanos) {
    this.callId = callId;
    this.fullMethodName = method.getFullMethodName();
    this.methodId = method.getMethodId();
    this.type = method.getType();
    this.outgoing = outgoing;
    this.startedNanos = startedNanos;
    this.hasDeadline = deadlineNanos != null;
    this.deadlineNanos = deadlineNanos == null ? 0 : deadlineNanos;
  }

  /** A first-seen stamp for a call (see {@link #startedNanos}): now, never 0 (which means "not seen"). */
  static long stampNow() {
    long now = System.nanoTime();
    return now == 0 ? 1 : now;
  }

  /** The call's id on its connection (each side numbers the calls it starts). */
  public long callId() {
    return callId;
  }

  /** {@code package.Service/Method}. */
  public String fullMethodName() {
    return fullMethodName;
  }

  /** The method's id, as frames carry it. */
  public int methodId() {
    return methodId;
  }

  /** Unary, or which way it streams. */
  public MethodDescriptor.MethodType type() {
    return type;
  }

  /** True if this side started the call; false if the other side did and this side serves it. */
  public boolean outgoing() {
    return outgoing;
  }

  /**
   * {@link System#nanoTime()} when diagnostics first saw the call: it started no later. A call is not
   * stamped when it starts (a clock read is a noticeable part of a short call); diagnostics look once a
   * second, so a call's age reads short by less than that.
   */
  public long startedNanos() {
    return startedNanos;
  }

  /** True if the call has a deadline. */
  public boolean hasDeadline() {
    return hasDeadline;
  }

  /** The deadline as a {@link System#nanoTime()} value; meaningless without {@link #hasDeadline()}. */
  public long deadlineNanos() {
    return deadlineNanos;
  }

  @Override
  public String toString() {
    return (outgoing ? "call " : "served call ") + callId + " " + fullMethodName + ", in flight for at least "
        + (System.nanoTime() - startedNanos) / 1_000_000 + " ms"
        + (hasDeadline ? ", deadline in " + (deadlineNanos - System.nanoTime()) / 1_000_000 + " ms" : ", no deadline");
  }
}
