package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.HeldMessages;
import dev.spoke.internal.ThreadlessExecutor;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the four call shapes on a {@link ClientCall}; generated stubs are thin wrappers over these.
 *
 * <p>Blocking calls wait on the caller's own thread and run the call's callbacks there: the response is
 * parsed by the caller, with no hand-off through a pool.
 */
public final class ClientCalls {

  private static final Logger log = LoggerFactory.getLogger(ClientCalls.class);

  private ClientCalls() {}

  // ---------------------------------------------------------------------------------------------
  // Async

  /**
   * Starts a unary call. The future completes with the response, or exceptionally with a {@link
   * StatusRuntimeException}; cancelling the future cancels the call.
   */
  public static <ReqT, RespT> CompletableFuture<RespT> futureUnaryCall(ClientCall<ReqT, RespT> call, ReqT request) {
    CallFuture<RespT> future = new CallFuture<>(call);
    call.start(new UnaryListener<>(future, null), null);
    call.request(1);
    sendOneAndHalfClose(call, request);
    return future;
  }

  /** Starts a unary call whose response goes to {@code responseObserver}. */
  public static <ReqT, RespT> void asyncUnaryCall(
      ClientCall<ReqT, RespT> call, ReqT request, StreamObserver<RespT> responseObserver) {
    call.start(new UnaryListener<>(null, responseObserver), null);
    call.request(1);
    sendOneAndHalfClose(call, request);
  }

  /** Starts a server-streaming call; responses go to {@code responseObserver}. */
  public static <ReqT, RespT> void asyncServerStreamingCall(
      ClientCall<ReqT, RespT> call, ReqT request, StreamObserver<RespT> responseObserver) {
    RequestStream<ReqT, RespT> requests = startStreaming(call, responseObserver);
    requests.onNext(request);
    requests.onCompleted();
  }

  /** Starts a client-streaming call; returns the observer to send requests on. */
  public static <ReqT, RespT> StreamObserver<ReqT> asyncClientStreamingCall(
      ClientCall<ReqT, RespT> call, StreamObserver<RespT> responseObserver) {
    return startStreaming(call, responseObserver);
  }

  /** Starts a bidirectional call; returns the observer to send requests on. */
  public static <ReqT, RespT> StreamObserver<ReqT> asyncBidiStreamingCall(
      ClientCall<ReqT, RespT> call, StreamObserver<RespT> responseObserver) {
    return startStreaming(call, responseObserver);
  }

  // ---------------------------------------------------------------------------------------------
  // Blocking
  //
  // Every blocking call owns a ThreadlessExecutor of its own and nothing else of the thread's: a call
  // that ends early (a request that cannot be sent, an interrupt) keeps draining its own events until
  // its listener has heard onClose, so that nothing of it is left for a later call on the thread.

  /** How long a blocking caller waits for onClose after it cancelled its call (it comes at once). */
  private static final long CLOSE_AFTER_CANCEL_NANOS = TimeUnit.SECONDS.toNanos(10);

  /**
   * Makes a unary call and waits for its response on this thread.
   *
   * @throws StatusRuntimeException if the call fails; {@code CANCELLED} if this thread is interrupted
   *     while it waits (the call is cancelled, and the interrupt flag is set again when this returns)
   */
  public static <ReqT, RespT> RespT blockingUnaryCall(
      Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options, ReqT request) {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    ClientCall<ReqT, RespT> call = channel.newCall(method, options.withExecutor(executor));
    BlockingUnaryListener<RespT> listener = new BlockingUnaryListener<>();
    try {
      return blockingUnaryCall(call, executor, listener, method, request);
    } catch (InternalError e) {
      // NOTE: HotSpot raises a fault met in mapped memory at the thread's next check for it, which may
      // come after the call ended (in the lines that tidy it up). If it is the transport's, the call's
      // outcome stands: the hub's loss is the next call's to tell.
      if (listener.done && executor.isTransportFault(e)) {
        if (listener.status.isOk()) {
          return listener.value;
        }
        throw listener.status.asRuntimeException(listener.trailers);
      }
      throw e;
    }
  }

  private static <ReqT, RespT> RespT blockingUnaryCall(ClientCall<ReqT, RespT> call, ThreadlessExecutor executor,
      BlockingUnaryListener<RespT> listener, MethodDescriptor<ReqT, RespT> method, ReqT request) {
    boolean interrupted = false;
    try {
      call.start(listener, null);
      call.request(1);
      try {
        call.sendMessage(request);
        call.halfClose();
      } catch (RuntimeException | Error e) {
        // A fault in the transport's own memory (raised late by the JVM, maybe here): the transport
        // closes itself and the call with its own status, which says what happened.
        boolean transportFault = executor.isTransportFault(e);
        call.cancel("the request could not be sent", e);
        interrupted = awaitCloseAfterCancel(executor, listener, method);
        if (transportFault && listener.done && !listener.status.isOk()) {
          throw listener.status.asRuntimeException(listener.trailers);
        }
        throw e;
      }
      while (!listener.done) {
        try {
          executor.waitAndDrain(Long.MAX_VALUE);
        } catch (InterruptedException e) {
          interrupted = true;
          call.cancel("the waiting thread was interrupted", e);
          interrupted |= awaitCloseAfterCancel(executor, listener, method);
        }
      }
      if (listener.status.isOk()) {
        return listener.value;
      }
      throw listener.status.asRuntimeException(listener.trailers);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      executor.shutdown();
    }
  }

  /**
   * Starts a server-streaming call whose responses this thread reads through the returned stream. The
   * stream belongs to this thread: read and close it here.
   */
  public static <ReqT, RespT> BlockingResponseStream<RespT> blockingServerStreamingCall(
      Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options, ReqT request) {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    ClientCall<ReqT, RespT> call = channel.newCall(method, options.withExecutor(executor));
    BlockingStream<RespT> stream = new BlockingStream<>(call, executor, method);
    call.start(stream.listener, null);
    try {
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException | Error e) {
      boolean transportFault = executor.isTransportFault(e); // as in blockingUnaryCall
      call.cancel("the request could not be sent", e);
      stream.drainUntilClosed();
      if (!transportFault) {
        throw e;
      }
      // The stream holds the call's close: reading it throws the transport's status.
    }
    return stream;
  }

  /**
   * After a cancel: runs the call's events until its listener heard onClose, which a cancel delivers
   * at once. Bounded, so a call that never closes (a broken interceptor) cannot hold the thread; that is
   * logged. Returns true if the thread was interrupted meanwhile.
   */
  private static boolean awaitCloseAfterCancel(ThreadlessExecutor executor, Closeable listener, MethodDescriptor<?, ?> method) {
    boolean interrupted = false;
    long deadline = System.nanoTime() + CLOSE_AFTER_CANCEL_NANOS;
    while (!listener.closed()) {
      try {
        if (!executor.waitAndDrain(deadline) && !listener.closed()) {
          log.error("a cancelled call of {} did not close within {} s; its events are dropped", method.getFullMethodName(),
              TimeUnit.NANOSECONDS.toSeconds(CLOSE_AFTER_CANCEL_NANOS));
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    return interrupted;
  }

  /** A blocking call's listener: tells whether onClose was heard. */
  private interface Closeable {
    boolean closed();
  }

  private static <ReqT> void sendOneAndHalfClose(ClientCall<ReqT, ?> call, ReqT request) {
    try {
      call.sendMessage(request);
      call.halfClose();
    } catch (RuntimeException | Error e) {
      call.cancel("the request could not be sent", e);
      throw e;
    }
  }

  private static <ReqT, RespT> RequestStream<ReqT, RespT> startStreaming(
      ClientCall<ReqT, RespT> call, StreamObserver<RespT> responseObserver) {
    RequestStream<ReqT, RespT> requests = new RequestStream<>(call);
    if (responseObserver instanceof ClientResponseObserver) {
      @SuppressWarnings("unchecked")
      ClientResponseObserver<ReqT, RespT> cro = (ClientResponseObserver<ReqT, RespT>) responseObserver;
      cro.beforeStart(requests);
    }
    requests.frozen = true;
    call.start(new StreamingListener<>(responseObserver, requests), null);
    int initial = requests.autoRequest ? 1 : requests.initialRequest;
    if (initial > 0) {
      call.request(initial);
    }
    return requests;
  }

  // ---------------------------------------------------------------------------------------------

  private static final class CallFuture<RespT> extends CompletableFuture<RespT> {
    private final ClientCall<?, RespT> call;

    CallFuture(ClientCall<?, RespT> call) {
      this.call = call;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean cancelled = super.cancel(mayInterruptIfRunning);
      if (cancelled) {
        call.cancel("the caller cancelled the future", null);
      }
      return cancelled;
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
      return new CompletableFuture<>(); // dependents must not cancel the call
    }
  }

  private static final class UnaryListener<RespT> extends ClientCall.Listener<RespT> {
    private final CompletableFuture<RespT> future;
    private final StreamObserver<RespT> observer;
    private RespT value;
    private boolean tooMany;

    UnaryListener(CompletableFuture<RespT> future, StreamObserver<RespT> observer) {
      this.future = future;
      this.observer = observer;
    }

    @Override
    public void onMessage(RespT message) {
      if (value != null) {
        tooMany = true;
        HeldMessages.release(value); // never handed out: a zero-copy one gives its slot back now
      }
      value = message;
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (status.isOk() && tooMany) {
        status = Status.INTERNAL.withDescription("the server sent more than one response to a unary call");
      } else if (status.isOk() && value == null) {
        status = Status.INTERNAL.withDescription("the server closed the call OK without a response");
      }
      if (!status.isOk()) {
        HeldMessages.release(value);
      }
      if (status.isOk()) {
        if (future != null) {
          future.complete(value);
        } else {
          observer.onNext(value);
          observer.onCompleted();
        }
      } else {
        StatusRuntimeException e = status.asRuntimeException(trailers);
        if (future != null) {
          future.completeExceptionally(e);
        } else {
          observer.onError(e);
        }
      }
    }
  }

  /** Collects one blocking unary call's result on the caller's thread. One per call. */
  private static final class BlockingUnaryListener<RespT> extends ClientCall.Listener<RespT> implements Closeable {
    RespT value;
    Status status;
    Metadata trailers;
    boolean done;
    private int count;

    @Override
    public void onMessage(RespT message) {
      HeldMessages.release(value); // a second response is never handed out: a zero-copy one frees its slot
      value = message;
      count++;
    }

    @Override
    public void onClose(Status s, Metadata t) {
      if (s.isOk() && count != 1) {
        s = Status.INTERNAL.withDescription(count == 0
            ? "the server closed the call OK without a response"
            : "the server sent more than one response to a unary call");
      }
      if (!s.isOk()) {
        HeldMessages.release(value); // the caller gets the failure, not the value
      }
      status = s;
      trailers = t;
      done = true;
    }

    @Override
    public boolean closed() {
      return done;
    }
  }

  /** The request side of a streaming call. */
  private static final class RequestStream<ReqT, RespT> extends ClientCallStreamObserver<ReqT> {
    private final ClientCall<ReqT, RespT> call;
    boolean frozen;
    boolean autoRequest = true;
    int initialRequest = 1;
    volatile Runnable onReadyHandler;
    private boolean completed;

    RequestStream(ClientCall<ReqT, RespT> call) {
      this.call = call;
    }

    @Override
    public void onNext(ReqT value) {
      if (completed) {
        throw new IllegalStateException("onNext after onCompleted or onError");
      }
      call.sendMessage(value);
    }

    @Override
    public void onError(Throwable t) {
      completed = true;
      call.cancel("the client failed the request stream: " + t, t);
    }

    @Override
    public void onCompleted() {
      completed = true;
      call.halfClose();
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void setOnReadyHandler(Runnable handler) {
      onReadyHandler = handler;
    }

    @Override
    public void disableAutoRequest() {
      if (frozen) {
        throw new IllegalStateException("disableAutoRequest is only allowed in beforeStart");
      }
      autoRequest = false;
      initialRequest = 0;
    }

    @Override
    public void disableAutoRequestWithInitial(int initial) {
      disableAutoRequest();
      initialRequest = initial;
    }

    @Override
    public void request(int count) {
      call.request(count);
    }

    @Override
    public void cancel(String message, Throwable cause) {
      call.cancel(message, cause);
    }
  }

  private static final class StreamingListener<ReqT, RespT> extends ClientCall.Listener<RespT> {
    private final StreamObserver<RespT> observer;
    private final RequestStream<ReqT, RespT> requests;

    StreamingListener(StreamObserver<RespT> observer, RequestStream<ReqT, RespT> requests) {
      this.observer = observer;
      this.requests = requests;
    }

    @Override
    public void onMessage(RespT message) {
      observer.onNext(message);
      if (requests.autoRequest) {
        requests.call.request(1);
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (status.isOk()) {
        observer.onCompleted();
      } else {
        observer.onError(status.asRuntimeException(trailers));
      }
    }

    @Override
    public void onReady() {
      Runnable handler = requests.onReadyHandler;
      if (handler != null) {
        handler.run();
      }
    }
  }

  private static final class BlockingStream<RespT> implements BlockingResponseStream<RespT>, Closeable {
    private final ClientCall<?, RespT> call;
    private final ThreadlessExecutor executor;
    private final MethodDescriptor<?, RespT> method;
    private final ArrayDeque<RespT> buffer = new ArrayDeque<>();
    private boolean requestOutstanding;
    private Status status;
    private Metadata trailers;

    final ClientCall.Listener<RespT> listener = new ClientCall.Listener<>() {
      @Override
      public void onMessage(RespT message) {
        buffer.add(message);
        requestOutstanding = false;
      }

      @Override
      public void onClose(Status s, Metadata t) {
        status = s;
        trailers = t;
      }
    };

    BlockingStream(ClientCall<?, RespT> call, ThreadlessExecutor executor, MethodDescriptor<?, RespT> method) {
      this.call = call;
      this.executor = executor;
      this.method = method;
    }

    @Override
    public boolean closed() {
      return status != null;
    }

    @Override
    public boolean hasNext() {
      checkOwner();
      while (buffer.isEmpty() && status == null) {
        if (!requestOutstanding) {
          requestOutstanding = true;
          call.request(1);
        }
        try {
          if (!executor.waitAndDrain(Long.MAX_VALUE)) {
            // NOTE: with no deadline, only an executor already shut down returns empty-handed: this stream
            // was closed, or gave up on a cancelled call that never closed. Waiting again would spin.
            throw Status.CANCELLED.withDescription("the response stream of " + method.getFullMethodName()
                + " was closed").asRuntimeException();
          }
        } catch (InterruptedException e) {
          call.cancel("the waiting thread was interrupted", e);
          drainUntilClosed();
          Thread.currentThread().interrupt();
          throw Status.CANCELLED.withDescription("the waiting thread was interrupted").withCause(e)
              .asRuntimeException();
        }
      }
      if (!buffer.isEmpty()) {
        return true;
      }
      executor.shutdown();
      if (status.isOk()) {
        return false;
      }
      throw status.asRuntimeException(trailers);
    }

    @Override
    public RespT next() {
      if (!hasNext()) {
        throw new NoSuchElementException("the stream has ended");
      }
      return buffer.poll();
    }

    @Override
    public void close() {
      checkOwner();
      if (status == null) {
        call.cancel("the caller closed the response stream", null);
        drainUntilClosed();
      }
      for (Object unread; (unread = buffer.poll()) != null; ) {
        HeldMessages.release(unread); // never handed out: a zero-copy one frees its slot now
      }
      executor.shutdown();
    }

    /** After a cancel: runs the call's events until it closed; keeps an interrupt for the caller. */
    void drainUntilClosed() {
      if (awaitCloseAfterCancel(executor, this, method)) {
        Thread.currentThread().interrupt();
      }
      executor.shutdown();
    }

    private void checkOwner() {
      if (Thread.currentThread() != executor.owner()) {
        throw new IllegalStateException("a blocking response stream is read on the thread that made the call ("
            + executor.owner().getName() + "), not on " + Thread.currentThread().getName());
      }
    }
  }
}
