package dev.spoke.internal;

import dev.spoke.CallNotRun;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Context;
import dev.spoke.Deadline;
import dev.spoke.DirectExecutor;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.RetryPolicy;
import dev.spoke.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One call made in one or more attempts on a channel: an attempt that fails without having run
 * ({@link CallNotRun}, {@code UNAVAILABLE}) is made again at once, up to {@link
 * #MAX_TRANSPARENT_RETRIES} times, without counting as an attempt; one that fails with a status its
 * {@link RetryPolicy} names is made again after the policy's back-off (or the server's push-back), up
 * to the policy's attempts. Until the call is committed (a response header or message arrived, or more
 * requests were sent than {@link RetryPolicy#MAX_BUFFERED_BYTES}), it keeps what the caller did (the
 * headers, the requests, how many responses it asked for, the half-close) to do it again on the next
 * attempt; from then on it passes everything straight through.
 *
 * <p>Threads: the caller's operations and the attempts' callbacks meet under this call's monitor; the
 * monitor is held while an operation reaches the current attempt, so a request the caller sends is
 * never overtaken by the replay of earlier ones. Later attempts start on the call's executor (for a
 * blocking caller, its own thread), never on a timer thread. The listener hears one attempt's events
 * at a time, in order, with the {@link Context} current that was current at start.
 */
final class RetryingCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

  /** Attempts that never ran made again in a row, at most: a call may meet several dead processes. */
  static final int MAX_TRANSPARENT_RETRIES = 3;

  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of(RetryPolicy.PUSHBACK_KEY_NAME, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> PREVIOUS_ATTEMPTS =
      Metadata.Key.of(RetryPolicy.PREVIOUS_ATTEMPTS_KEY_NAME, Metadata.ASCII_STRING_MARSHALLER);

  private final Channel channel;
  private final MethodDescriptor<ReqT, RespT> method;
  private final CallOptions options;
  private final RetryPolicy policy;
  /** Where later attempts start. */
  private final Executor attemptExecutor;

  // Guarded by this.
  private Listener<RespT> listener;
  private Context context;
  private Metadata headers;
  private final List<ReqT> sent = new ArrayList<>();
  private long sentBytes;
  private int requested;
  private boolean halfClosed;
  private boolean committed;
  private boolean cancelled;
  private boolean closed;
  private Attempt current;
  /** Attempts started, transparent ones included. */
  private int started;
  /** Attempts that count against the policy. */
  private int counted;
  private int transparentInARow;
  private DeadlineTimer.Task backoff;

  RetryingCall(Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options, RetryPolicy policy,
      Executor retryExecutor) {
    this.channel = channel;
    this.method = method;
    this.options = options;
    this.policy = policy;
    Executor e = options.getExecutor();
    this.attemptExecutor = e == null || e == DirectExecutor.INSTANCE ? retryExecutor : e;
  }

  @Override
  public void start(Listener<RespT> responseListener, Metadata extraHeaders) {
    Objects.requireNonNull(responseListener, "listener");
    synchronized (this) {
      if (listener != null) {
        throw new IllegalStateException("call of " + method.getFullMethodName() + " already started");
      }
      listener = responseListener;
      headers = extraHeaders;
      context = Context.current();
    }
    startAttempt(false);
  }

  /** Starts the next attempt: on the caller's thread for the first, on the attempt executor later. */
  private void startAttempt(boolean transparent) {
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      Metadata h = headers;
      if (started > 0) {
        h = new Metadata().merge(headers);
        h.discardAll(PREVIOUS_ATTEMPTS);
        h.put(PREVIOUS_ATTEMPTS, Integer.toString(started));
      }
      started++;
      if (!transparent) {
        counted++;
      }
      Attempt a = new Attempt(channel.newCall(method, options));
      current = a;
      // NOTE: under the monitor, so the caller's next operation goes after the replay.
      a.call.start(a, h);
      if (requested > 0) {
        a.call.request(requested);
      }
      for (ReqT m : sent) {
        a.call.sendMessage(m);
      }
      if (halfClosed) {
        a.call.halfClose();
      }
    }
  }

  @Override
  public void request(int numMessages) {
    synchronized (this) {
      requested += numMessages;
      if (current != null) {
        current.call.request(numMessages);
      }
    }
  }

  @Override
  public void sendMessage(ReqT message) {
    Objects.requireNonNull(message, "message");
    synchronized (this) {
      if (!committed) {
        sent.add(message);
        sentBytes += method.getRequestMarshaller().serializedSize(message);
        if (sentBytes > RetryPolicy.MAX_BUFFERED_BYTES && current != null) {
          commit(); // too much to hold for another attempt: this one is the last
        }
      }
      if (current != null) {
        current.call.sendMessage(message);
      }
    }
  }

  @Override
  public void halfClose() {
    synchronized (this) {
      halfClosed = true;
      if (current != null) {
        current.call.halfClose();
      }
    }
  }

  @Override
  public void cancel(String message, Throwable cause) {
    Attempt a;
    boolean waiting;
    synchronized (this) {
      if (cancelled || closed) {
        return;
      }
      cancelled = true;
      a = current;
      waiting = a == null && listener != null;
      if (waiting) {
        closed = true;
        if (backoff != null) {
          backoff.cancel();
        }
      }
    }
    if (a != null) {
      a.call.cancel(message, cause); // its close reaches the listener
    } else if (waiting) {
      Status s = Status.CANCELLED.withDescription(message != null ? message : "cancelled by the client").withCause(cause);
      Listener<RespT> l = listener;
      Connection.executeOrRunHere(attemptExecutor, () -> context.run(() -> l.onClose(s, new Metadata())));
    }
  }

  @Override
  public boolean isReady() {
    Attempt a;
    synchronized (this) {
      a = current;
    }
    return a != null && a.call.isReady();
  }

  /** Guarded by this: the call keeps its current attempt from now on. */
  private void commit() {
    committed = true;
    sent.clear();
    sentBytes = 0;
  }

  /**
   * Guarded by this: what follows an attempt that ended with {@code status}: -1 to end the call, 0 to
   * make it again at once, or the pause in nanoseconds before making it again.
   */
  private long next(Status status, Metadata trailers) {
    if (cancelled || committed || status.isOk()) {
      return -1;
    }
    Deadline deadline = options.getDeadline();
    Deadline inherited = context.getDeadline();
    if (inherited != null) {
      deadline = inherited.minimum(deadline);
    }
    if (status.getCode() == Status.Code.UNAVAILABLE && CallNotRun.isMarked(trailers)
        && transparentInARow < MAX_TRANSPARENT_RETRIES && (deadline == null || !deadline.isExpired())) {
      transparentInARow++;
      return 0;
    }
    transparentInARow = 0;
    if (policy == null || !policy.isRetryable(status.getCode()) || counted >= policy.maxAttempts()) {
      return -1;
    }
    long pause;
    String pushback = trailers.get(PUSHBACK);
    if (pushback != null) {
      try {
        long millis = Long.parseLong(pushback.trim());
        if (millis < 0) {
          return -1; // the server says: do not retry
        }
        pause = TimeUnit.MILLISECONDS.toNanos(millis);
      } catch (NumberFormatException e) {
        return -1; // gRPC: an unreadable push-back means no retry
      }
    } else {
      pause = policy.backoffNanos(counted);
    }
    if (deadline != null && deadline.timeRemaining(TimeUnit.NANOSECONDS) <= pause) {
      return -1; // the next attempt could not start before the deadline
    }
    return Math.max(1, pause);
  }

  /** One attempt's listener. */
  private final class Attempt extends Listener<RespT> {
    final ClientCall<ReqT, RespT> call;

    Attempt(ClientCall<ReqT, RespT> call) {
      this.call = call;
    }

    /** True (and commits) if this is the current attempt. */
    private boolean deliverable() {
      synchronized (RetryingCall.this) {
        if (current != this || closed) {
          return false;
        }
        if (!committed) {
          commit();
        }
        return true;
      }
    }

    @Override
    public void onHeaders(Metadata h) {
      if (deliverable()) {
        listener.onHeaders(h);
      }
    }

    @Override
    public void onMessage(RespT message) {
      if (deliverable()) {
        listener.onMessage(message);
      } else {
        HeldMessages.release(message); // a superseded attempt's: a zero-copy one frees its slot now
      }
    }

    @Override
    public void onReady() {
      boolean mine;
      synchronized (RetryingCall.this) {
        mine = current == this && !closed;
      }
      if (mine) {
        listener.onReady();
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      long pause;
      synchronized (RetryingCall.this) {
        if (current != this || closed) {
          return;
        }
        current = null;
        pause = next(status, trailers);
        if (pause < 0) {
          closed = true;
        } else if (pause > 0) {
          backoff = new DeadlineTimer.Task() {
            @Override
            protected void expire() {
              Connection.executeOrRunHere(attemptExecutor, () -> context.run(() -> startAttempt(false)));
            }
          };
          DeadlineTimer.shared().schedule(backoff, System.nanoTime() + pause);
        }
      }
      if (pause < 0) {
        listener.onClose(status, trailers);
      } else if (pause == 0) {
        Connection.executeOrRunHere(attemptExecutor, () -> context.run(() -> startAttempt(true)));
      }
    }
  }

  @Override
  public String toString() {
    synchronized (this) {
      return "RetryingCall{" + method.getFullMethodName() + ", attempt " + started + ", committed=" + committed + "}";
    }
  }
}
