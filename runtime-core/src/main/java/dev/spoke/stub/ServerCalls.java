package dev.spoke.stub;

import dev.spoke.CallContext;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.HeadersUnused;

/**
 * Adapts the four handler shapes generated services use to {@link ServerCallHandler}s.
 *
 * <p>A handler that throws ends its call: a {@link dev.spoke.StatusException} or {@link
 * StatusRuntimeException} with its status, anything else with {@code UNKNOWN} and the exception's
 * message.
 */
public final class ServerCalls {

  private ServerCalls() {}

  /** A unary handler. */
  @FunctionalInterface
  public interface UnaryMethod<ReqT, RespT> {
    /** Answers {@code request} through {@code responseObserver}: one value, then completion or an error. */
    void invoke(ReqT request, StreamObserver<RespT> responseObserver);
  }

  /** A server-streaming handler. */
  @FunctionalInterface
  public interface ServerStreamingMethod<ReqT, RespT> {
    /** Answers {@code request} with a stream of values through {@code responseObserver}. */
    void invoke(ReqT request, StreamObserver<RespT> responseObserver);
  }

  /** A client-streaming handler: returns the observer that receives the requests. */
  @FunctionalInterface
  public interface ClientStreamingMethod<ReqT, RespT> {
    /** Returns the observer of the call's requests; answers once through {@code responseObserver}. */
    StreamObserver<ReqT> invoke(StreamObserver<RespT> responseObserver);
  }

  /** A bidirectional handler: returns the observer that receives the requests. */
  @FunctionalInterface
  public interface BidiStreamingMethod<ReqT, RespT> {
    /** Returns the observer of the call's requests; answers with a stream through {@code responseObserver}. */
    StreamObserver<ReqT> invoke(StreamObserver<RespT> responseObserver);
  }

  /** The handler of a unary method implemented by {@code method}. */
  public static <ReqT, RespT> ServerCallHandler<ReqT, RespT> asyncUnaryCall(UnaryMethod<ReqT, RespT> method) {
    return new SingleRequestHandler<>(method::invoke);
  }

  /** The handler of a server-streaming method implemented by {@code method}. */
  public static <ReqT, RespT> ServerCallHandler<ReqT, RespT> asyncServerStreamingCall(
      ServerStreamingMethod<ReqT, RespT> method) {
    return new SingleRequestHandler<>(method::invoke);
  }

  /** The handler of a client-streaming method implemented by {@code method}. */
  public static <ReqT, RespT> ServerCallHandler<ReqT, RespT> asyncClientStreamingCall(
      ClientStreamingMethod<ReqT, RespT> method) {
    return new StreamingRequestHandler<>(method::invoke);
  }

  /** The handler of a bidirectional-streaming method implemented by {@code method}. */
  public static <ReqT, RespT> ServerCallHandler<ReqT, RespT> asyncBidiStreamingCall(
      BidiStreamingMethod<ReqT, RespT> method) {
    return new StreamingRequestHandler<>(method::invoke);
  }

  /** What a generated service answers for a unary or server-streaming rpc it does not implement. */
  public static void asyncUnimplementedUnaryCall(MethodDescriptor<?, ?> method, StreamObserver<?> responseObserver) {
    responseObserver.onError(unimplemented(method).asRuntimeException());
  }

  /** What a generated service answers for a client- or bidi-streaming rpc it does not implement. */
  public static <ReqT> StreamObserver<ReqT> asyncUnimplementedStreamingCall(
      MethodDescriptor<?, ?> method, StreamObserver<?> responseObserver) {
    asyncUnimplementedUnaryCall(method, responseObserver);
    return new NoopStreamObserver<>();
  }

  private static Status unimplemented(MethodDescriptor<?, ?> method) {
    return Status.UNIMPLEMENTED.withDescription("method " + method.getFullMethodName() + " is not implemented");
  }

  private interface SingleInvoker<ReqT, RespT> {
    void invoke(ReqT request, StreamObserver<RespT> responseObserver);
  }

  private interface StreamInvoker<ReqT, RespT> {
    StreamObserver<ReqT> invoke(StreamObserver<RespT> responseObserver);
  }

  private static final class SingleRequestHandler<ReqT, RespT> implements ServerCallHandler<ReqT, RespT>, HeadersUnused {
    private final SingleInvoker<ReqT, RespT> method;

    SingleRequestHandler(SingleInvoker<ReqT, RespT> method) {
      this.method = method;
    }

    @Override
    public ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call, Metadata headers) {
      ResponseObserver<ReqT, RespT> responses = new ResponseObserver<>(call);
      // Two, so that a second request is noticed rather than left undelivered.
      call.request(2);
      return new ServerCall.Listener<>() {
        private ReqT request;
        private boolean failed;
        private boolean invoked;
        private boolean wasReady;

        @Override
        public void onMessage(ReqT message) {
          if (request != null) {
            failed = true;
            call.close(Status.INTERNAL.withDescription(
                "more than one request for " + call.getMethodDescriptor().getFullMethodName()), null);
            return;
          }
          request = message;
        }

        @Override
        public void onHalfClose() {
          if (failed) {
            return;
          }
          if (request == null) {
            call.close(Status.INTERNAL.withDescription(
                "no request for " + call.getMethodDescriptor().getFullMethodName()), null);
            return;
          }
          ReqT r = request;
          request = null; // let it be collected while a long handler runs
          invoked = true;
          method.invoke(r, responses);
          if (wasReady) {
            // The call turned ready before the handler existed to hear it.
            responses.ready();
          }
        }

        @Override
        public void onCancel() {
          responses.cancelled();
        }

        @Override
        public void onReady() {
          if (invoked) {
            responses.ready();
          } else {
            wasReady = true;
          }
        }
      };
    }
  }

  private static final class StreamingRequestHandler<ReqT, RespT> implements ServerCallHandler<ReqT, RespT>, HeadersUnused {
    private final StreamInvoker<ReqT, RespT> method;

    StreamingRequestHandler(StreamInvoker<ReqT, RespT> method) {
      this.method = method;
    }

    @Override
    public ServerCall.Listener<ReqT> startCall(ServerCall<ReqT, RespT> call, Metadata headers) {
      ResponseObserver<ReqT, RespT> responses = new ResponseObserver<>(call);
      StreamObserver<ReqT> requests = method.invoke(responses);
      if (requests == null) {
        throw new NullPointerException(
            "the handler of " + call.getMethodDescriptor().getFullMethodName() + " returned no request observer");
      }
      responses.frozen = true;
      if (responses.autoRequest) {
        call.request(1);
      }
      return new ServerCall.Listener<>() {
        private boolean halfClosed;

        @Override
        public void onMessage(ReqT message) {
          requests.onNext(message);
          if (responses.autoRequest) {
            call.request(1);
          }
        }

        @Override
        public void onHalfClose() {
          halfClosed = true;
          requests.onCompleted();
        }

        @Override
        public void onCancel() {
          responses.cancelled();
          if (!halfClosed) {
            Status why = call.getContext().getCancellationStatus();
            requests.onError((why != null ? why : Status.CANCELLED).asRuntimeException());
          }
        }

        @Override
        public void onReady() {
          responses.ready();
        }
      };
    }
  }

  private static final class ResponseObserver<ReqT, RespT> extends ServerCallStreamObserver<RespT> {
    private final ServerCall<ReqT, RespT> call;
    private volatile Runnable onReadyHandler;
    private volatile Runnable onCancelHandler;
    private boolean completed;
    boolean frozen;
    boolean autoRequest = true;

    ResponseObserver(ServerCall<ReqT, RespT> call) {
      this.call = call;
    }

    @Override
    public void onNext(RespT value) {
      if (call.isCancelled()) {
        if (onCancelHandler == null) {
          Status why = call.getContext().getCancellationStatus();
          throw (why != null ? why : Status.CANCELLED).withDescription(
              "call already cancelled: " + (why != null ? why.getDescription() : "")
                  + " (set an onCancelHandler to ignore this)")
              .asRuntimeException();
        }
        return;
      }
      if (completed) {
        throw new IllegalStateException("onNext after onCompleted or onError");
      }
      call.sendMessage(value);
    }

    @Override
    public void onError(Throwable t) {
      if (completed) {
        return;
      }
      completed = true;
      call.close(Status.fromThrowable(t), Status.trailersFromThrowable(t));
    }

    @Override
    public void onCompleted() {
      if (completed) {
        return;
      }
      completed = true;
      call.close(Status.OK, null);
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
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public void setOnCancelHandler(Runnable handler) {
      onCancelHandler = handler;
    }

    @Override
    public CallContext getContext() {
      return call.getContext();
    }

    @Override
    public void disableAutoRequest() {
      if (frozen) {
        throw new IllegalStateException("disableAutoRequest is only allowed before the handler returns");
      }
      autoRequest = false;
    }

    @Override
    public void request(int count) {
      call.request(count);
    }

    void cancelled() {
      Runnable handler = onCancelHandler;
      if (handler != null) {
        handler.run();
      }
    }

    void ready() {
      Runnable handler = onReadyHandler;
      if (handler != null) {
        handler.run();
      }
    }
  }

  private static final class NoopStreamObserver<V> implements StreamObserver<V> {
    @Override
    public void onNext(V value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
