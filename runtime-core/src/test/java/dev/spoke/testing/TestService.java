package dev.spoke.testing;

import com.google.protobuf.ByteString;
import dev.spoke.CallContext;
import dev.spoke.DirectExecutor;
import dev.spoke.MethodDescriptor;
import dev.spoke.MethodDescriptor.MethodType;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.Status;
import dev.spoke.ZeroCopy;
import dev.spoke.protobuf.ProtoMarshallers;
import dev.spoke.stub.ServerCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The service the call-layer contract tests call, with hand-written method descriptors. Each request
 * says what the handler should do (see test_service.proto); the service records what it saw so tests
 * can assert on the server's view.
 */
public final class TestService {

  public static final String SERVICE_NAME = "spoke.test.TestService";

  public static final MethodDescriptor<TestRequest, TestResponse> UNARY = method(MethodType.UNARY, "Unary");
  public static final MethodDescriptor<TestRequest, TestResponse> SERVER_STREAM =
      method(MethodType.SERVER_STREAMING, "ServerStream");
  public static final MethodDescriptor<TestRequest, TestResponse> CLIENT_STREAM =
      method(MethodType.CLIENT_STREAMING, "ClientStream");
  public static final MethodDescriptor<TestRequest, TestResponse> BIDI = method(MethodType.BIDI_STREAMING, "Bidi");
  /** A method of the same service that the server does not bind. */
  public static final MethodDescriptor<TestRequest, TestResponse> NOT_BOUND = method(MethodType.UNARY, "NotBound");
  /** Raw bytes, received in place ({@link ZeroCopy#byteBuffers()}): answers with the request itself. */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_ECHO = rawMethod(MethodType.UNARY, "RawEcho");
  /**
   * Raw bytes, received in place: answers with two bytes, 1 or 0 for "the request held its slot" and
   * "the request was a direct buffer", as the handler saw them.
   */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_INSPECT = rawMethod(MethodType.UNARY, "RawInspect");
  /** Raw bytes, received in place: the request back as many times as its first byte says. */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_REPEAT = rawMethod(MethodType.SERVER_STREAMING, "RawRepeat");
  /**
   * Raw bytes, received in place: keeps the request beyond its call ({@link ZeroCopy#keep}) and answers
   * with one byte, 1 if there was a slot to keep.
   */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_KEEP = rawMethod(MethodType.UNARY, "RawKeep");
  /**
   * Releases every request RAW_KEEP kept; answers with two bytes: 1 if each still read {@code
   * pattern(1, n)} (its bytes survived its call and the calls since), and how many were released.
   */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_RELEASE_KEPT =
      rawMethod(MethodType.UNARY, "RawReleaseKept");
  /** Raw bytes, received in place: each request back, as it came. */
  public static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_BIDI = rawMethod(MethodType.BIDI_STREAMING, "RawBidi");

  /** A call parked by a request with {@code hold}. */
  public static final class Held {
    public final TestRequest request;
    public final StreamObserver<TestResponse> observer;

    Held(TestRequest request, StreamObserver<TestResponse> observer) {
      this.request = request;
      this.observer = observer;
    }
  }

  /** Calls parked by {@code hold}, for the test to complete. */
  public final LinkedBlockingQueue<Held> held = new LinkedBlockingQueue<>();
  /** Contexts of handlers blocked by {@code block_until_cancelled}, as they start. */
  public final LinkedBlockingQueue<CallContext> blocked = new LinkedBlockingQueue<>();
  /** Cancellation statuses seen by blocked handlers, as they are released. */
  public final LinkedBlockingQueue<Status> cancellationsSeen = new LinkedBlockingQueue<>();
  /** Runs of a cancellation listener each blocked handler adds twice, and of one it adds and removes. */
  public final AtomicInteger addedTwiceRuns = new AtomicInteger();
  public final AtomicInteger removedRuns = new AtomicInteger();
  /** Request messages the streaming handlers received. */
  public final AtomicInteger streamedRequests = new AtomicInteger();
  /** Handlers currently running. */
  public final AtomicInteger running = new AtomicInteger();
  public final ConcurrentLinkedQueue<Throwable> handlerErrors = new ConcurrentLinkedQueue<>();
  /** Requests RAW_KEEP kept beyond their calls, until RAW_RELEASE_KEPT. */
  private final ConcurrentLinkedQueue<ByteBuffer> rawKept = new ConcurrentLinkedQueue<>();

  private static MethodDescriptor<TestRequest, TestResponse> method(MethodType type, String name) {
    return MethodDescriptor.<TestRequest, TestResponse>newBuilder(
            ProtoMarshallers.marshaller(TestRequest.getDefaultInstance()),
            ProtoMarshallers.marshaller(TestResponse.getDefaultInstance()))
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, name))
        .build();
  }

  private static MethodDescriptor<ByteBuffer, ByteBuffer> rawMethod(MethodType type, String name) {
    return MethodDescriptor.<ByteBuffer, ByteBuffer>newBuilder(ZeroCopy.byteBuffers(), ZeroCopy.byteBuffers())
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, name))
        .build();
  }

  /** The service, bound with hand-written descriptors. */
  public ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE_NAME)
        .addMethod(UNARY, ServerCalls.asyncUnaryCall(this::unary))
        .addMethod(SERVER_STREAM, ServerCalls.asyncServerStreamingCall(this::serverStream))
        .addMethod(CLIENT_STREAM, ServerCalls.asyncClientStreamingCall(this::clientStream))
        .addMethod(BIDI, ServerCalls.asyncBidiStreamingCall(this::bidi))
        .addMethod(RAW_ECHO, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, observer) -> {
          observer.onNext(request); // serialized from the request's own slot, which the call holds until it ends
          observer.onCompleted();
        }))
        .addMethod(RAW_INSPECT, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, observer) -> {
          observer.onNext(ByteBuffer.wrap(new byte[] {(byte) (ZeroCopy.isHeld(request) ? 1 : 0),
              (byte) (request.isDirect() ? 1 : 0)}));
          observer.onCompleted();
        }))
        .addMethod(RAW_REPEAT, ServerCalls.<ByteBuffer, ByteBuffer>asyncServerStreamingCall((request, observer) -> {
          for (int i = 0; i < request.get(0); i++) {
            observer.onNext(request);
          }
          observer.onCompleted();
        }))
        .addMethod(RAW_KEEP, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, observer) -> {
          boolean kept = ZeroCopy.keep(request);
          rawKept.add(request);
          observer.onNext(ByteBuffer.wrap(new byte[] {(byte) (kept ? 1 : 0)}));
          observer.onCompleted();
        }))
        .addMethod(RAW_RELEASE_KEPT, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, observer) -> {
          boolean intact = true;
          int released = 0;
          for (ByteBuffer kept; (kept = rawKept.poll()) != null; ) {
            intact &= kept.equals(ByteBuffer.wrap(pattern(1, kept.remaining()).toByteArray()));
            released += ZeroCopy.release(kept) ? 1 : 0;
          }
          observer.onNext(ByteBuffer.wrap(new byte[] {(byte) (intact ? 1 : 0), (byte) released}));
          observer.onCompleted();
        }))
        .addMethod(RAW_BIDI, ServerCalls.<ByteBuffer, ByteBuffer>asyncBidiStreamingCall(observer ->
            new StreamObserver<ByteBuffer>() {
              @Override
              public void onNext(ByteBuffer value) {
                observer.onNext(value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                observer.onCompleted();
              }
            }))
        .build();
  }

  /** A response to {@code request}, as the handlers build it. */
  public static TestResponse response(TestRequest request, int index) {
    TestResponse.Builder b = TestResponse.newBuilder().setId(request.getId()).setIndex(index);
    if (request.getResponseSize() > 0) {
      b.setPayload(pattern(request.getId() + index, request.getResponseSize()));
    } else {
      b.setPayload(request.getPayload());
    }
    CallContext ctx = CallContext.current();
    if (ctx != null) {
      b.setDeadlineRemainingMillis(ctx.getDeadline() == null ? -1 : ctx.timeRemaining(TimeUnit.MILLISECONDS));
      if (!request.getEchoHeader().isEmpty()) {
        String value = ctx.getHeaders().get(request.getEchoHeader());
        if (value != null) {
          b.setHeaderValue(value);
          ctx.getTrailers().put("echo-" + request.getEchoHeader(), value);
        }
      }
    }
    return b.build();
  }

  /** Deterministic bytes derived from a seed, so a receiver can check every byte. */
  public static ByteString pattern(long seed, int size) {
    byte[] bytes = new byte[size];
    long x = seed * 0x9E3779B97F4A7C15L + 1;
    for (int i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      bytes[i] = (byte) x;
    }
    return ByteString.copyFrom(bytes);
  }

  /** Runs what the request asks before answering; returns false if the handler must not answer. */
  private boolean prelude(TestRequest request, StreamObserver<TestResponse> observer) {
    if (request.getSleepMillis() > 0) {
      try {
        Thread.sleep(request.getSleepMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (request.getBlockUntilCancelled()) {
      CallContext ctx = CallContext.current();
      CountDownLatch released = new CountDownLatch(1);
      ctx.addCancellationListener(released::countDown, DirectExecutor.INSTANCE);
      Runnable twice = addedTwiceRuns::incrementAndGet;
      ctx.addCancellationListener(twice, DirectExecutor.INSTANCE);
      ctx.addCancellationListener(twice, Runnable::run);
      Runnable removed = removedRuns::incrementAndGet;
      ctx.addCancellationListener(removed, DirectExecutor.INSTANCE);
      ctx.removeCancellationListener(removed);
      blocked.add(ctx);
      try {
        if (!released.await(60, TimeUnit.SECONDS)) {
          handlerErrors.add(new AssertionError("blocked handler never saw a cancellation"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      cancellationsSeen.add(ctx.getCancellationStatus());
      return false;
    }
    if (request.getHold()) {
      held.add(new Held(request, observer));
      return false;
    }
    if (request.getFailCode() != 0) {
      observer.onError(Status.fromCodeValue(request.getFailCode())
          .withDescription(request.getFailMessage()).asRuntimeException());
      return false;
    }
    if (request.getThrowRuntime()) {
      throw new IllegalStateException(request.getFailMessage());
    }
    return true;
  }

  private void unary(TestRequest request, StreamObserver<TestResponse> observer) {
    running.incrementAndGet();
    try {
      if (prelude(request, observer)) {
        observer.onNext(response(request, 0));
        observer.onCompleted();
      }
    } finally {
      running.decrementAndGet();
    }
  }

  private void serverStream(TestRequest request, StreamObserver<TestResponse> observer) {
    running.incrementAndGet();
    try {
      int count = request.getResponseCount();
      // Fail after the responses when asked, so a test sees messages and then the status.
      TestRequest before = request.toBuilder().clearFailCode().clearThrowRuntime().build();
      if (!prelude(before, observer)) {
        return;
      }
      for (int i = 0; i < count; i++) {
        observer.onNext(response(request, i));
      }
      if (request.getFailCode() != 0) {
        observer.onError(Status.fromCodeValue(request.getFailCode())
            .withDescription(request.getFailMessage()).asRuntimeException());
      } else if (request.getThrowRuntime()) {
        throw new IllegalStateException(request.getFailMessage());
      } else {
        observer.onCompleted();
      }
    } finally {
      running.decrementAndGet();
    }
  }

  private StreamObserver<TestRequest> clientStream(StreamObserver<TestResponse> observer) {
    return new StreamObserver<>() {
      private int count;
      private long idSum;
      private TestRequest last;

      @Override
      public void onNext(TestRequest value) {
        streamedRequests.incrementAndGet();
        count++;
        idSum += value.getId();
        last = value;
        if (value.getSleepMillis() > 0) {
          try {
            Thread.sleep(value.getSleepMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        TestResponse.Builder b = (last == null ? TestResponse.newBuilder() : response(last, 0).toBuilder())
            .setRequestsReceived(count).setIdSum(idSum);
        if (last != null && last.getFailCode() != 0) {
          observer.onError(Status.fromCodeValue(last.getFailCode())
              .withDescription(last.getFailMessage()).asRuntimeException());
          return;
        }
        observer.onNext(b.build());
        observer.onCompleted();
      }
    };
  }

  private StreamObserver<TestRequest> bidi(StreamObserver<TestResponse> observer) {
    return new StreamObserver<>() {
      private int count;

      @Override
      public void onNext(TestRequest value) {
        streamedRequests.incrementAndGet();
        count++;
        if (value.getFailCode() != 0) {
          observer.onError(Status.fromCodeValue(value.getFailCode())
              .withDescription(value.getFailMessage()).asRuntimeException());
          return;
        }
        int n = Math.max(1, value.getResponseCount());
        for (int i = 0; i < n; i++) {
          observer.onNext(response(value, i).toBuilder().setRequestsReceived(count).build());
        }
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        observer.onCompleted();
      }
    };
  }
}
