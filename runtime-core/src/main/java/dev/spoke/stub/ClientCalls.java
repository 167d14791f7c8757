package dev.spoke.stub;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.ThreadlessExecutor;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the four call shapes on a {@link ClientCall}; generated stubs are thin wrappers over these.
 *
 * <p>Blocking calls wait on the caller's own thread and run the call's callbacks there: the response is
 * parsed by the caller, with no hand-off through a pool.
 */
public final class ClientCalls {

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

  /**
   * Makes a unary call and waits for its response on this thread.
   *
   * @throws StatusRuntimeException if the call fails; {@code CANCELLED} if this thread is interrupted
   *     (the interrupt flag is kept)
   */
  public static <ReqT, RespT> RespT blockingUnaryCall(
      Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options, ReqT request) {
    ThreadlessExecutor executor = ThreadlessExecutor.current();
    ClientCall<ReqT, RespT> call = channel.newCall(method, executor.options(options));
    BlockingUnaryListener<RespT> listener = BlockingUnaryListener.forThisThread();
    try {
      call.start(listener, null);
      call.request(1);
      sendOneAndHalfClose(call, request);
      while (!listener.done) {
        waitAndDrain(executor, call);
      }
      if (listener.status.isOk()) {
        return listener.value;
      }
      throw listener.status.asRuntimeException(listener.trailers);
    } finally {
      listener.release();
    }
  }

  /** Starts a server-streaming call whose responses this thread reads through the returned stream. */
  public static <ReqT, RespT> BlockingResponseStream<RespT> blockingServerStreamingCall(
      Channel channel, MethodDescriptor<ReqT, RespT> method, CallOptions options, ReqT request) {
    ThreadlessExecutor executor = ThreadlessExecutor.current();
    ClientCall<ReqT, RespT> call = channel.newCall(method, executor.options(options));
    BlockingStream<RespT> stream = new BlockingStream<>(call, executor);
    call.start(stream.listener, null);
    sendOneAndHalfClose(call, request);
    return stream;
  }

  private static void waitAndDrain(ThreadlessExecutor executor, ClientCall<?, ?> call) {
    try {
      executor.waitAndDrain(Long.MAX_VALUE);
    } catch (InterruptedException e) {
      call.cancel("the waiting thread was interrupted", e);
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("the waiting thread was interrupted").withCause(e).asRuntimeException();
    }
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

  /**
   * Collects a blocking unary call's result on the caller's thread. One per thread, reused by its
   * calls one after the other; a call started while it is in use (a nested blocking call made by a
   * callback on the same thread) gets a fresh one.
   */
  private static final class BlockingUnaryListener<RespT> extends ClientCall.Listener<RespT> {
    private static final ThreadLocal<BlockingUnaryListener<?>> PER_THREAD = new ThreadLocal<>();

    RespT value;
    Status status;
    Metadata trailers;
    boolean done;
    private int count;
    private boolean inUse;
    private final boolean reusable;

    private BlockingUnaryListener(boolean reusable) {
      this.reusable = reusable;
    }

    @SuppressWarnings("unchecked")
    static <RespT> BlockingUnaryListener<RespT> forThisThread() {
      BlockingUnaryListener<RespT> l = (BlockingUnaryListener<RespT>) PER_THREAD.get();
      if (l == null) {
        l = new BlockingUnaryListener<>(true);
        PER_THREAD.set(l);
      }
      if (l.inUse) {
        return new BlockingUnaryListener<>(false);
      }
      l.inUse = true;
      return l;
    }

    void release() {
      value = null;
      status = null;
      trailers = null;
      done = false;
      count = 0;
      if (reusable) {
        inUse = false;
      }
    }

    @Override
    public void onMessage(RespT message) {
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
      status = s;
      trailers = t;
      done = true;
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

  private static final class BlockingStream<RespT> implements BlockingResponseStream<RespT> {
    private final ClientCall<?, RespT> call;
    private final ThreadlessExecutor executor;
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

    BlockingStream(ClientCall<?, RespT> call, ThreadlessExecutor executor) {
      this.call = call;
      this.executor = executor;
    }

    @Override
    public boolean hasNext() {
      while (buffer.isEmpty() && status == null) {
        if (!requestOutstanding) {
          requestOutstanding = true;
          call.request(1);
        }
        waitAndDrain(executor, call);
      }
      if (!buffer.isEmpty()) {
        return true;
      }
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
      if (status == null) {
        call.cancel("the caller closed the response stream", null);
      }
    }
  }
}
