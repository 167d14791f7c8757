package dev.spoke.host;

import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.internal.ThreadlessExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A wait-for-ready call made while its plugin has no ready process. It keeps what the caller does
 * (start, request, messages, half-close, cancel) in order until {@link #proceed} hands it a channel to
 * a ready process, then replays all of it on a real call and from there on passes every operation
 * straight through. Before that it ends by itself if its deadline passes, the caller cancels it, or
 * {@link #fail} says the plugin is down for good.
 *
 * <p>A blocking caller's call is made real on the caller's own thread (through its {@link
 * ThreadlessExecutor}), because the real call binds that thread's executor to its connection.
 */
final class PendingCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final Executor callbackExecutor;
  private final Consumer<PendingCall<?, ?>> onSettled;
  private final long createdNanos = System.nanoTime();

  // Guarded by this.
  private List<Consumer<ClientCall<ReqT, RespT>>> pending = new ArrayList<>();
  private ClientCall<ReqT, RespT> real;
  private Listener<RespT> listener;
  private Status failure;
  private ScheduledFuture<?> deadlineTimer;
  /** Set once every held operation reached the real call; then operations go to it directly. */
  private volatile boolean passThrough;

  /**
   * @param callbackExecutor runs the listener's {@code onClose} if the call ends before it is real
   * @param onSettled told once the call stops waiting, whichever way
   */
  PendingCall(MethodDescriptor<ReqT, RespT> method, CallOptions options, Executor callbackExecutor,
      Consumer<PendingCall<?, ?>> onSettled) {
    this.method = method;
    this.options = options;
    this.callbackExecutor = callbackExecutor;
    this.onSettled = onSettled;
  }

  /**
   * Arms the deadline: if it passes while the call still waits, the call ends with {@code
   * DEADLINE_EXCEEDED} and {@code whatItWaitedFor} (read at that moment) in its description.
   */
  void armDeadline(ScheduledExecutorService scheduler, Supplier<String> whatItWaitedFor) {
    Deadline deadline = options.getDeadline();
    if (deadline == null) {
      return;
    }
    ScheduledFuture<?> timer = scheduler.schedule(() -> {
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - createdNanos);
      fail(Status.DEADLINE_EXCEEDED.withDescription(
          "deadline exceeded after " + waited + " ms waiting for " + whatItWaitedFor.get()));
    }, Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)), TimeUnit.NANOSECONDS);
    synchronized (this) {
      if (failure == null && real == null) {
        deadlineTimer = timer;
        return;
      }
    }
    timer.cancel(false);
  }

  /** The plugin is ready: make the call real on {@code channel} and replay what was held. */
  void proceed(Channel channel) {
    synchronized (this) {
      if (failure != null || real != null) {
        return;
      }
    }
    Executor e = options.getExecutor();
    if (e instanceof ThreadlessExecutor) {
      e.execute(() -> makeReal(channel));
    } else {
      makeReal(channel);
    }
  }

  /** Ends the call with {@code status} unless it is already real or over. */
  void fail(Status status) {
    Listener<RespT> l;
    synchronized (this) {
      if (failure != null || real != null) {
        return;
      }
      failure = status;
      pending = null;
      l = listener;
      stopTimer();
    }
    onSettled.accept(this);
    if (l != null) {
      close(l, status);
    }
  }

  private void makeReal(Channel channel) {
    synchronized (this) {
      if (failure != null) {
        return;
      }
    }
    ClientCall<ReqT, RespT> call = channel.newCall(method, options);
    synchronized (this) {
      if (failure != null || real != null) {
        return; // ended while this was on its way; the new call was never started
      }
      real = call;
      stopTimer();
    }
    onSettled.accept(this);
    List<Consumer<ClientCall<ReqT, RespT>>> batch = new ArrayList<>();
    for (;;) {
      synchronized (this) {
        if (pending.isEmpty()) {
          pending = null;
          passThrough = true;
          return;
        }
        List<Consumer<ClientCall<ReqT, RespT>>> taken = pending;
        pending = batch;
        batch = taken;
      }
      for (Consumer<ClientCall<ReqT, RespT>> op : batch) {
        try {
          op.accept(call);
        } catch (RuntimeException | Error t) {
          // Nobody is there to catch it: the caller that made the mistake returned long ago.
          call.cancel("the call could not be replayed once plugin was ready: " + t, t);
        }
      }
      batch.clear();
    }
  }

  private void stopTimer() {
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
      deadlineTimer = null;
    }
  }

  private void close(Listener<RespT> l, Status status) {
    // Ended before it was made real: it never reached a process.
    callbackExecutor.execute(() -> l.onClose(status, CallNotRun.mark(new Metadata(), CallNotRun.NOT_SENT)));
  }

  /** Runs {@code op} on the real call, or holds it until there is one; drops it once the call failed. */
  private void run(Consumer<ClientCall<ReqT, RespT>> op) {
    ClientCall<ReqT, RespT> call;
    if (passThrough) {
      call = real;
    } else {
      synchronized (this) {
        if (failure != null) {
          return;
        }
        if (!passThrough) {
          pending.add(op);
          return;
        }
        call = real;
      }
    }
    op.accept(call);
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata headers) {
    Status ended;
    synchronized (this) {
      if (listener != null) {
        throw new IllegalStateException("the call was already started");
      }
      listener = responseListener;
      ended = failure;
    }
    if (ended != null) {
      close(responseListener, ended);
    } else {
      run(c -> c.start(responseListener, headers));
    }
  }

  @Override
  public void request(int numMessages) {
    run(c -> c.request(numMessages));
  }

  @Override
  public void sendMessage(ReqT message) {
    run(c -> c.sendMessage(message));
  }

  @Override
  public void halfClose() {
    run(ClientCall::halfClose);
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Listener<RespT> l;
    Status status;
    synchronized (this) {
      if (failure != null) {
        return;
      }
      if (real != null) {
        l = null;
        status = null;
      } else {
        status = Status.CANCELLED.withDescription(message).withCause(cause);
        failure = status;
        pending = null;
        l = listener;
        stopTimer();
      }
    }
    if (status == null) {
      run(c -> c.cancel(message, cause));
      return;
    }
    onSettled.accept(this);
    if (l != null) {
      close(l, status);
    }
  }

  @Override
  public boolean isReady() {
    return passThrough && real.isReady();
  }

  @Override
  public String toString() {
    return "PendingCall{" + method.getFullMethodName() + "}";
  }
}
