package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.inprocess.InProcessServer;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.protobuf.ProtoMarshallers;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.ServerCallStreamObserver;
import dev.spoke.stub.ServerCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.Conditions;
import dev.spoke.transport.InMemoryTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An application executor that refuses a call's events — a bounded pool that is full, or one shut down —
 * never leaves the call hanging: a server ends the call with RESOURCE_EXHAUSTED (marked as not run when
 * the handler never started), a client cancels it, and either way the rest of the call's events are
 * delivered on the connection's own executor. Before, the call waited for its deadline, or for ever.
 */
class ExecutorRefusalTest {

  private static final Duration NO_HANG = Duration.ofSeconds(20);

  private static final MethodDescriptor<TestRequest, TestResponse> UNARY = method(MethodDescriptor.MethodType.UNARY, "Unary");
  private static final MethodDescriptor<TestRequest, TestResponse> SUM =
      method(MethodDescriptor.MethodType.CLIENT_STREAMING, "Sum");
  private static final MethodDescriptor<TestRequest, TestResponse> STREAM =
      method(MethodDescriptor.MethodType.SERVER_STREAMING, "Stream");
  private static final MethodDescriptor<TestRequest, TestResponse> TWO =
      method(MethodDescriptor.MethodType.SERVER_STREAMING, "Two");

  private static MethodDescriptor<TestRequest, TestResponse> method(MethodDescriptor.MethodType type, String name) {
    return MethodDescriptor.<TestRequest, TestResponse>newBuilder(
            ProtoMarshallers.marshaller(TestRequest.getDefaultInstance()),
            ProtoMarshallers.marshaller(TestResponse.getDefaultInstance()))
        .setType(type)
        .setFullMethodName("spoke.test.Refusal/" + name)
        .build();
  }

  /** Refuses while {@link #refuse} is set, else runs each task on a thread of its own. */
  private static final class SwitchableExecutor implements Executor {
    final AtomicBoolean refuse = new AtomicBoolean();
    final AtomicInteger refused = new AtomicInteger();
    /** Tasks taken and not yet finished. */
    final AtomicInteger unfinished = new AtomicInteger();

    SwitchableExecutor(boolean refuse) {
      this.refuse.set(refuse);
    }

    @Override
    public void execute(Runnable task) {
      if (refuse.get()) {
        refused.incrementAndGet();
        throw new RejectedExecutionException("the test's executor is full");
      }
      unfinished.incrementAndGet();
      Thread t = new Thread(() -> {
        try {
          task.run();
        } finally {
          unfinished.decrementAndGet();
        }
      }, "test-executor");
      t.setDaemon(true);
      t.start();
    }
  }

  private final AtomicInteger handlersRun = new AtomicInteger();
  private final AtomicInteger requestsSeen = new AtomicInteger();
  private final CountDownLatch serverCancelled = new CountDownLatch(1);
  /** Counted down by a listener the Sum handler adds to its call's context. */
  private final CountDownLatch contextListenerRan = new CountDownLatch(1);
  private final CountDownLatch streamStarted = new CountDownLatch(1);

  private ServerServiceDefinition service() {
    return ServerServiceDefinition.builder("spoke.test.Refusal")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          handlersRun.incrementAndGet();
          response.onNext(TestResponse.newBuilder().setIndex((int) request.getId()).build());
          response.onCompleted();
        }))
        .addMethod(SUM, ServerCalls.<TestRequest, TestResponse>asyncClientStreamingCall(response -> {
          handlersRun.incrementAndGet();
          ((ServerCallStreamObserver<TestResponse>) response).setOnCancelHandler(serverCancelled::countDown);
          Context.current().addListener(context -> contextListenerRan.countDown(), DirectExecutor.INSTANCE);
          return new StreamObserver<TestRequest>() {
            @Override
            public void onNext(TestRequest value) {
              requestsSeen.incrementAndGet();
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              response.onNext(TestResponse.getDefaultInstance());
              response.onCompleted();
            }
          };
        }))
        .addMethod(STREAM, ServerCalls.asyncServerStreamingCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          handlersRun.incrementAndGet();
          ((ServerCallStreamObserver<TestResponse>) response).setOnCancelHandler(serverCancelled::countDown);
          response.onNext(TestResponse.newBuilder().setIndex(1).build());
          streamStarted.countDown(); // and never completes: only a cancel ends it
        }))
        .addMethod(TWO, ServerCalls.asyncServerStreamingCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          response.onNext(TestResponse.newBuilder().setIndex(1).build());
          response.onNext(TestResponse.newBuilder().setIndex(2).build());
          response.onCompleted();
        }))
        .build();
  }

  @Test
  void aServiceExecutorThatRefusesEndsTheCallAtOnceAsNotRun() {
    SwitchableExecutor refusing = new SwitchableExecutor(true);
    try (InProcessServer server = InProcessServer.start("refusing", new ServiceRegistry().addService(service(), refusing))) {
      // No deadline: before, this call waited for ever.
      StatusRuntimeException e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(server.channel(), UNARY, CallOptions.DEFAULT, TestRequest.getDefaultInstance())));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains("spoke.test.Refusal/Unary")
          && e.getStatus().getDescription().contains("the test's executor is full"), e.getStatus().toString());
      assertTrue(CallNotRun.isMarked(e), "a call refused before its handler ran is marked as not run: " + e.getTrailers());
      assertEquals(0, handlersRun.get());
      assertTrue(refusing.refused.get() >= 1);
    }
  }

  @Test
  void aServiceExecutorThatRefusesMidCallEndsTheCallAndItsHandlerHearsOfIt() throws Exception {
    SwitchableExecutor executor = new SwitchableExecutor(false);
    try (InProcessServer server = InProcessServer.start("refusing", new ServiceRegistry().addService(service(), executor))) {
      CompletableFuture<TestResponse> result = new CompletableFuture<>();
      StreamObserver<TestRequest> requests = ClientCalls.asyncClientStreamingCall(
          server.channel().newCall(SUM, CallOptions.DEFAULT), observer(result));
      requests.onNext(TestRequest.getDefaultInstance());
      // Refusing only once the call's executor is idle: the next request needs a new run of it.
      Conditions.waitUntil("the handler takes the first request and its run ends", 10,
          () -> requestsSeen.get() == 1 && executor.unfinished.get() == 0);
      executor.refuse.set(true);
      requests.onNext(TestRequest.getDefaultInstance());
      requests.onCompleted();
      Throwable failure = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(Exception.class, result::join));
      StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, failure.getCause());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
      assertFalse(CallNotRun.isMarked(e), "the handler ran: the call may have had effects");
      assertTrue(serverCancelled.await(10, TimeUnit.SECONDS), "the handler never heard that its call ended");
    }
  }

  @Test
  void aConnectionWhoseOwnExecutorRefusesStillEndsTheCall() throws Exception {
    // The service has no executor of its own: the connection's refuses, and is the fallback as well, so
    // the call's end is sent and its last events run on the receive thread.
    SwitchableExecutor refusing = new SwitchableExecutor(true);
    try (Connections c = new Connections(refusing)) {
      StatusRuntimeException e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(c.client.channel(), UNARY, CallOptions.DEFAULT, TestRequest.getDefaultInstance())));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(CallNotRun.isMarked(e), "refused before its handler ran: " + e.getTrailers());
      assertEquals(0, handlersRun.get());
      // The server goes on answering once its executor takes work again.
      refusing.refuse.set(false);
      TestResponse r = assertTimeoutPreemptively(NO_HANG, () -> ClientCalls.blockingUnaryCall(c.client.channel(), UNARY,
          CallOptions.DEFAULT, TestRequest.newBuilder().setId(3).build()));
      assertEquals(3, r.getIndex());
    }
  }

  @Test
  void aConnectionWhoseOwnExecutorRefusesMidCallStillEndsTheCallAndTellsItsContext() throws Exception {
    // The handler's context has a listener (as it has when the handler calls out): cancelling the
    // context hands it to the connection's executor, which refuses, as it refuses the call's events.
    SwitchableExecutor executor = new SwitchableExecutor(false);
    try (Connections c = new Connections(executor)) {
      CompletableFuture<TestResponse> result = new CompletableFuture<>();
      StreamObserver<TestRequest> requests = ClientCalls.asyncClientStreamingCall(
          c.client.channel().newCall(SUM, CallOptions.DEFAULT), observer(result));
      requests.onNext(TestRequest.getDefaultInstance());
      Conditions.waitUntil("the handler takes the first request and its run ends", 10,
          () -> requestsSeen.get() == 1 && executor.unfinished.get() == 0);
      executor.refuse.set(true);
      requests.onNext(TestRequest.getDefaultInstance());
      Throwable failure = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(Exception.class, result::join));
      StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, failure.getCause());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(serverCancelled.await(10, TimeUnit.SECONDS), "the handler never heard that its call ended");
      assertTrue(contextListenerRan.await(10, TimeUnit.SECONDS), "the call's context listener never ran");
    }
  }

  @Test
  void aCallbackExecutorThatRefusesCancelsTheCallAndStillDeliversItsClose() throws Exception {
    SwitchableExecutor refusing = new SwitchableExecutor(true);
    try (InProcessServer server = InProcessServer.start("refusing", new ServiceRegistry().addService(service()))) {
      CompletableFuture<TestResponse> closed = new CompletableFuture<>();
      ClientCalls.asyncServerStreamingCall(server.channel().newCall(STREAM, CallOptions.DEFAULT.withExecutor(refusing)),
          TestRequest.getDefaultInstance(), observer(closed));
      // The server streams one message and never ends the call; the client's executor refuses it.
      Throwable failure = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(Exception.class, closed::join));
      StatusRuntimeException e = assertInstanceOf(StatusRuntimeException.class, failure.getCause());
      assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
      assertTrue(e.getStatus().getDescription().contains("refused"), e.getStatus().toString());
      assertInstanceOf(RejectedExecutionException.class, e.getStatus().getCause());
      assertTrue(serverCancelled.await(10, TimeUnit.SECONDS), "the server never heard of the cancel");
      assertEquals(0, streamStarted.getCount(), "the server streamed its message");
    }
  }

  @Test
  void aCloseThatCameBeforeTheRefusalIsDeliveredAsItCame() {
    SwitchableExecutor refusing = new SwitchableExecutor(true);
    try (InProcessServer server = InProcessServer.start("refusing", new ServiceRegistry().addService(service()))) {
      CompletableFuture<TestResponse> response = ClientCalls.futureUnaryCall(
          server.channel().newCall(UNARY, CallOptions.DEFAULT.withExecutor(refusing)), TestRequest.newBuilder().setId(7).build());
      TestResponse r = assertTimeoutPreemptively(NO_HANG, () -> response.join());
      assertEquals(7, r.getIndex());
      assertTrue(refusing.refused.get() >= 1, "the executor was never asked");
    }
  }

  @Test
  void aCallThatEndedBeforeTheRefusalKeepsItsMessagesAndItsStatus() throws Exception {
    // The server has sent two messages and closed the call OK, but the client asked for none yet: both
    // and the close wait on the client. Its executor then refuses the delivery of the first it asks for.
    SwitchableExecutor refusing = new SwitchableExecutor(false);
    try (Connections c = new Connections(null)) {
      ClientCall<TestRequest, TestResponse> call = c.client.channel().newCall(TWO, CallOptions.DEFAULT.withExecutor(refusing));
      List<Integer> received = Collections.synchronizedList(new ArrayList<>());
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(new ClientCall.Listener<TestResponse>() {
        @Override
        public void onMessage(TestResponse message) {
          received.add(message.getIndex());
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
          closed.complete(status);
        }
      }, new Metadata());
      call.sendMessage(TestRequest.getDefaultInstance());
      call.halfClose();
      Conditions.waitUntil("the server's close reaches the client, and the client's executor is idle", 10,
          () -> c.client.callsInFlight().isEmpty() && refusing.unfinished.get() == 0);
      assertEquals(List.of(), received, "nothing was asked for yet");
      assertFalse(closed.isDone(), "the close waits behind the messages");
      refusing.refuse.set(true);
      call.request(1); // refused: the call had ended, so it is not cancelled; the message comes anyway
      Conditions.waitUntil("the first message arrives", 10, () -> received.size() == 1);
      // Asked for one only: the second message, and the close behind it, wait for the next request.
      call.request(1);
      Status status = assertTimeoutPreemptively(NO_HANG, () -> closed.join());
      assertEquals(Status.Code.OK, status.getCode(), "the call ended OK before the refusal: " + status);
      assertEquals(List.of(1, 2), received);
      assertTrue(refusing.refused.get() >= 1, "the executor was never asked");
    }
  }

  /**
   * A client and a server connection over an in-memory pair: the server serves {@link #service()} on
   * {@code serverExecutor} (the pool, if null); the client's executor is the pool.
   */
  private final class Connections implements AutoCloseable {
    final WorkerPool pool = WorkerPool.builder("refusal-test").build();
    final Connection server;
    final Connection client;

    Connections(Executor serverExecutor) {
      InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
      server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(service()))
          .executor(serverExecutor != null ? serverExecutor : pool).localName("server").build().start();
      client = Connection.builder(pair[0]).executor(pool).localName("client").build().start();
    }

    @Override
    public void close() {
      client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      pool.shutdown();
    }
  }

  /** Completes {@code result} with the last response, or with the call's failure. */
  private static StreamObserver<TestResponse> observer(CompletableFuture<TestResponse> result) {
    return new StreamObserver<TestResponse>() {
      TestResponse last;

      @Override
      public void onNext(TestResponse value) {
        last = value;
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(last);
      }
    };
  }
}
