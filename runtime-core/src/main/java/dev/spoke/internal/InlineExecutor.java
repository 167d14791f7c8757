package dev.spoke.internal;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The default executor of handlers and callbacks over the hub: a task submitted by a thread that is
 * delivering frames runs right there, inline, with no hand-off — as fast as a direct executor — while a
 * task submitted from anywhere else (a timer, an application thread) goes to the fallback executor.
 *
 * <p>Inline code is still safe to block: a blocking Spoke call hands the thread's delivery roles on
 * first ({@link InboundDelivery#relinquishAll}), and code that blocks or runs long otherwise has its
 * roles taken over by its transport's watchdog once it has run for the transport's hand-off limit
 * ({@link InboundDelivery.Delivering#tryTakeOver}), so other calls are never held up for longer than
 * that. A transport without such a watchdog must not be given this executor.
 *
 * <p>{@link SerializingExecutor} recognises it and runs a call's tasks inline when it can.
 *
 * <p>Thread-safe.
 */
public final class InlineExecutor implements Executor {

  private final Executor fallback;

  /** Runs tasks inline on delivering threads, on {@code fallback} otherwise. */
  public InlineExecutor(Executor fallback) {
    this.fallback = Objects.requireNonNull(fallback, "fallback");
  }

  /** True if a task submitted now by the calling thread would run inline. */
  public boolean runsInlineHere() {
    return InboundDelivery.holdsAny();
  }

  /** The executor for tasks submitted off delivering threads. */
  public Executor fallback() {
    return fallback;
  }

  @Override
  public void execute(Runnable task) {
    if (InboundDelivery.holdsAny()) {
      boolean entered = InboundDelivery.enterApplicationCode();
      try {
        task.run();
      } finally {
        InboundDelivery.leaveApplicationCode(entered);
      }
    } else {
      fallback.execute(task);
    }
  }

  @Override
  public String toString() {
    return "InlineExecutor{fallback " + fallback + "}";
  }
}
