package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.spoke.CallContext;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Deadline;
import dev.spoke.Marshaller;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.ZeroCopy;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.transport.Transport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The call layer's behaviour over any {@link Transport}: every transport runs this same suite (the
 * in-memory pair here, the shared-memory hub in transport-shm), so they cannot drift apart.
 *
 * <p>Waits in these tests are bounds that turn a hang into a failure, never speed assertions.
 */
public abstract class AbstractCallLayerTest {

  /** How long a test waits for something that should happen promptly before calling it a hang. */
  protected static final long WAIT_SECONDS = 30;

  /** A connected pair of transports, not started, and what to release after the test. */
  public static final class TransportPair {
    public final Transport client;
    public final Transport server;
    public final AutoCloseable cleanup;

    public TransportPair(Transport client, Transport server, AutoCloseable cleanup) {
      this.client = client;
      this.server = server;
      this.cleanup = cleanup;
    }
  }

  /** Creates a fresh pair for one test. */
  protected abstract TransportPair newTransportPair() throws Exception;

  /**
   * Starts the server side, serving {@code service}: a connection over {@code pair.server} in this
   * JVM. A subclass whose server runs in another process returns a {@link ServerSide} that reports what
   * that server's {@code TestService} records into {@code service}.
   */
  protected ServerSide startServerSide(TransportPair pair, TestService service) throws Exception {
    return LocalServerSide.start(pair.server, service);
  }

  /** What the server's {@code TestService} saw (reported here when the server runs elsewhere). */
  protected TestService service;
  protected WorkerPool clientPool;
  protected Connection client;
  protected ServerSide server;
  protected Channel channel;
  private TransportPair pair;

  @BeforeEach
  void setUpConnections() throws Exception {
    service = new TestService();
    pair = newTransportPair();
    clientPool = WorkerPool.builder("test-client").build();
    server = startServerSide(pair, service);
    client = Connection.builder(pair.client).executor(clientPool).localName("test-client").build();
    client.start();
    channel = client.channel();
  }

  @AfterEach
  void tearDownConnections() throws Exception {
    try {
      assertTrue(service.handlerErrors.isEmpty(), () -> "handler errors: " + service.handlerErrors);
    } finally {
      client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      server.close();
      clientPool.shutdown();
      pair.cleanup.close();
    }
  }

  /** True if the transport lends its buffers to messages received in place (the hub's slots). */
  protected boolean lendsBuffers() {
    return false;
  }

  /** True if every buffer the transports share is free (for the hub: its whole pool). */
  protected boolean buffersAllFree() {
    return true;
  }

  protected static TestRequest request(long id) {
    return TestRequest.newBuilder().setId(id).build();
  }

  protected TestResponse blockingUnary(TestRequest request, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, TestService.UNARY, options, request);
  }

  protected CompletableFuture<TestResponse> futureUnary(TestRequest request, CallOptions options) {
    return ClientCalls.futureUnaryCall(channel.newCall(TestService.UNARY, options), request);
  }

  protected static <T> T await(CompletableFuture<T> future) throws Exception {
    try {
      return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    }
  }

  protected static StatusRuntimeException awaitFailure(CompletableFuture<?> future) throws Exception {
    try {
      future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException) {
        return (StatusRuntimeException) e.getCause();
      }
      throw new AssertionError("expected a StatusRuntimeException, got " + e.getCause(), e.getCause());
    }
    throw new AssertionError("the call succeeded but was expected to fail");
  }

  protected static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
    Conditions.waitUntil(what, WAIT_SECONDS, condition);
  }

  /** Collects what a response observer receives. */
  protected static class Recorder<T> implements StreamObserver<T> {
    public final List<T> values = Collections.synchronizedList(new ArrayList<>());
    public final CompletableFuture<List<T>> done = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      values.add(value);
    }

    @Override
    public void onError(Throwable t) {
      done.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
      done.complete(values);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Zero-copy receive (ZeroCopy, Marshaller.readsInPlace)

  @Test
  void aMessageReadInPlaceHoldsItsBufferUntilReleasedAndItsBytesAreIntact() throws Exception {
    long leaks = ZeroCopy.leaks();
    for (int size : new int[] {0, 7, 1024, 64 * 1024, 1 << 20}) {
      ByteBuffer sent = ByteBuffer.wrap(TestService.pattern(size, size).toByteArray());
      ByteBuffer got = ClientCalls.blockingUnaryCall(channel, TestService.RAW_ECHO, CallOptions.DEFAULT, sent);
      assertEquals(sent, got, "the echo of " + size + " bytes");
      // Payloads of 20 bytes or fewer travel inline in the descriptor: always copies.
      boolean inPlace = lendsBuffers() && size >= 1024;
      assertEquals(inPlace, got.isDirect(), size + " bytes: a view of the slot");
      assertEquals(inPlace, ZeroCopy.isHeld(got), size + " bytes: holds its slot");
      assertEquals(inPlace, ZeroCopy.release(got), size + " bytes: the first release");
      assertFalse(ZeroCopy.release(got), "a second release does nothing");
      assertFalse(ZeroCopy.isHeld(got));
    }
    // The server's call released each request when it ended; the client released each response.
    waitUntil("every buffer is free again", this::buffersAllFree);
    assertEquals(leaks, ZeroCopy.leaks(), "buffers freed only by the collector (leaks)");
  }

  @Test
  void aMessageReadInPlaceAfterRequestHeadersInTheSameFrameIsIntact() throws Exception {
    ByteBuffer sent = ByteBuffer.wrap(TestService.pattern(5, 64 * 1024).toByteArray());
    // The headers travel before the request in its CALL_START: the message kept in place starts after them.
    ByteBuffer got = ClientCalls.blockingUnaryCall(channel, TestService.RAW_ECHO,
        CallOptions.DEFAULT.withHeader("x-zero-copy", "headers first"), sent);
    assertEquals(sent, got);
    assertEquals(lendsBuffers(), ZeroCopy.release(got));
    waitUntil("every buffer is free again", this::buffersAllFree);
  }

  @Test
  void aHandlerReceivesItsRequestInPlaceAndItsCallReleasesIt() throws Exception {
    long leaks = ZeroCopy.leaks();
    ByteBuffer seen = ClientCalls.blockingUnaryCall(channel, TestService.RAW_INSPECT, CallOptions.DEFAULT,
        ByteBuffer.wrap(TestService.pattern(3, 4096).toByteArray()));
    assertEquals(2, seen.remaining());
    assertEquals(lendsBuffers() ? 1 : 0, seen.get(0), "the handler's request held its slot");
    assertEquals(lendsBuffers() ? 1 : 0, seen.get(1), "the handler's request was the slot itself");
    assertFalse(ZeroCopy.isHeld(seen), "two bytes travel inline");
    waitUntil("the request's slot is free once its call ended", this::buffersAllFree);
    assertEquals(leaks, ZeroCopy.leaks(), "buffers freed only by the collector (leaks)");
  }

  @Test
  void streamedMessagesReadInPlaceArriveInOrderAndEachHoldsItsOwnBuffer() throws Exception {
    long leaks = ZeroCopy.leaks();
    Recorder<ByteBuffer> recorder = new Recorder<>();
    StreamObserver<ByteBuffer> requests =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(TestService.RAW_BIDI, CallOptions.DEFAULT), recorder);
    int count = 40;
    for (int i = 0; i < count; i++) {
      requests.onNext(ByteBuffer.wrap(TestService.pattern(i, 8192 + i).toByteArray()));
    }
    requests.onCompleted();
    List<ByteBuffer> got = await(recorder.done);
    assertEquals(count, got.size());
    for (int i = 0; i < count; i++) {
      assertEquals(ByteBuffer.wrap(TestService.pattern(i, 8192 + i).toByteArray()), got.get(i), "message " + i);
      assertEquals(lendsBuffers(), ZeroCopy.release(got.get(i)), "message " + i + " held its own slot");
    }
    waitUntil("every buffer is free again", this::buffersAllFree);
    assertEquals(leaks, ZeroCopy.leaks(), "buffers freed only by the collector (leaks)");
  }

  @Test
  void aMessageDroppedWithoutReleaseIsFreedWhenCollectedAndCountedAsALeak() throws Exception {
    if (!lendsBuffers()) {
      return; // nothing is lent, so nothing can leak
    }
    long before = ZeroCopy.leaks();
    assertEquals(64 * 1024, echoAndDrop(64 * 1024));
    assertFalse(buffersAllFree(), "the dropped response still holds its slot");
    waitUntil("the collector finds the dropped message and its slot is freed", () -> {
      System.gc();
      return ZeroCopy.leaks() > before && buffersAllFree();
    });
  }

  @Test
  void aRequestKeptByItsHandlerOutlivesItsCallUntilReleased() throws Exception {
    long leaks = ZeroCopy.leaks();
    ByteBuffer kept = ClientCalls.blockingUnaryCall(channel, TestService.RAW_KEEP, CallOptions.DEFAULT,
        ByteBuffer.wrap(TestService.pattern(1, 64 * 1024).toByteArray()));
    assertEquals(lendsBuffers() ? 1 : 0, kept.get(0), "the handler had a slot to keep");
    for (int i = 0; i < 20; i++) { // the pool turns over: a slot released at the call's end would be reused
      ZeroCopy.release(ClientCalls.blockingUnaryCall(channel, TestService.RAW_ECHO, CallOptions.DEFAULT,
          ByteBuffer.wrap(new byte[64 * 1024])));
    }
    if (lendsBuffers()) {
      assertFalse(buffersAllFree(), "the kept request still holds its slot after its call ended");
    }
    ByteBuffer outcome = ClientCalls.blockingUnaryCall(channel, TestService.RAW_RELEASE_KEPT, CallOptions.DEFAULT,
        ByteBuffer.wrap(new byte[1]));
    assertEquals(1, outcome.get(0), "the kept request's bytes survived its call and the calls after it");
    assertEquals(lendsBuffers() ? 1 : 0, outcome.get(1), "released by the handler's own release");
    waitUntil("every buffer is free again", this::buffersAllFree);
    assertEquals(leaks, ZeroCopy.leaks(), "buffers freed only by the collector (leaks)");
  }

  @Test
  void aBlockingStreamClosedBeforeItsEndReleasesTheMessagesItNeverHandedOut() throws Exception {
    long leaks = ZeroCopy.leaks();
    for (int round = 0; round < 5; round++) {
      byte[] request = TestService.pattern(round, 32 * 1024).toByteArray();
      request[0] = 30; // responses: more than the caller reads
      try (BlockingResponseStream<ByteBuffer> stream = ClientCalls.blockingServerStreamingCall(
          channel, TestService.RAW_REPEAT, CallOptions.DEFAULT, ByteBuffer.wrap(request))) {
        assertTrue(stream.hasNext());
        ByteBuffer first = stream.next();
        assertEquals(ByteBuffer.wrap(request), first);
        ZeroCopy.release(first);
        assertTrue(stream.hasNext()); // the second response arrives and waits, never handed out
      }
    }
    waitUntil("every buffer is free again", this::buffersAllFree);
    assertEquals(leaks, ZeroCopy.leaks(), "buffers freed only by the collector (leaks)");
  }

  /** Makes a raw echo and keeps nothing of the response but its size. */
  private int echoAndDrop(int size) {
    ByteBuffer got = ClientCalls.blockingUnaryCall(channel, TestService.RAW_ECHO, CallOptions.DEFAULT,
        ByteBuffer.wrap(new byte[size]));
    return got.remaining();
  }

  // ---------------------------------------------------------------------------------------------
  // The four shapes

  @Test
  void unaryBlockingAndAsyncRoundTripPayloadsIntact() throws Exception {
    for (int size : new int[] {0, 1, 20, 1000, 64 * 1024, 1 << 20}) {
      ByteString payload = TestService.pattern(size, size);
      TestRequest r = TestRequest.newBuilder().setId(size).setPayload(payload).build();
      TestResponse blocking = blockingUnary(r, CallOptions.DEFAULT);
      assertEquals(size, blocking.getId());
      assertEquals(payload, blocking.getPayload(), "blocking payload of " + size + " bytes");
      TestResponse async = await(futureUnary(r, CallOptions.DEFAULT));
      assertEquals(payload, async.getPayload(), "async payload of " + size + " bytes");
    }
  }

  @Test
  void unaryResponseLargerThanRequest() throws Exception {
    TestRequest r = TestRequest.newBuilder().setId(7).setResponseSize(3 << 20).build();
    TestResponse response = blockingUnary(r, CallOptions.DEFAULT);
    assertEquals(TestService.pattern(7, 3 << 20), response.getPayload());
  }

  @Test
  void serverStreamingDeliversEveryResponseInOrder() throws Exception {
    TestRequest r = TestRequest.newBuilder().setId(5).setResponseCount(500).setResponseSize(100).build();
    Recorder<TestResponse> recorder = new Recorder<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(TestService.SERVER_STREAM, CallOptions.DEFAULT), r, recorder);
    List<TestResponse> responses = await(recorder.done);
    assertEquals(500, responses.size());
    for (int i = 0; i < 500; i++) {
      assertEquals(i, responses.get(i).getIndex());
      assertEquals(TestService.pattern(5 + i, 100), responses.get(i).getPayload());
    }
  }

  @Test
  void blockingServerStreamingIteratesAndStopsEarly() throws Exception {
    TestRequest r = TestRequest.newBuilder().setId(1).setResponseCount(200).build();
    int n = 0;
    try (BlockingResponseStream<TestResponse> it =
        ClientCalls.blockingServerStreamingCall(channel, TestService.SERVER_STREAM, CallOptions.DEFAULT, r)) {
      while (it.hasNext()) {
        assertEquals(n++, it.next().getIndex());
      }
    }
    assertEquals(200, n);

    // Closing part way cancels the call, and the server lets go of it.
    TestRequest endless = TestRequest.newBuilder().setId(2).setResponseCount(1_000_000).build();
    try (BlockingResponseStream<TestResponse> it =
        ClientCalls.blockingServerStreamingCall(channel, TestService.SERVER_STREAM, CallOptions.DEFAULT, endless)) {
      for (int i = 0; i < 10; i++) {
        assertEquals(i, it.next().getIndex());
      }
    }
    waitUntil("the server ends the cancelled stream", () -> server.activeCalls() == 0 && client.activeCalls() == 0);
  }

  @Test
  void clientStreamingReceivesEveryRequest() throws Exception {
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncClientStreamingCall(channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT), recorder);
    long sum = 0;
    for (int i = 1; i <= 2000; i++) {
      requests.onNext(request(i));
      sum += i;
    }
    requests.onCompleted();
    List<TestResponse> responses = await(recorder.done);
    assertEquals(1, responses.size());
    assertEquals(2000, responses.get(0).getRequestsReceived());
    assertEquals(sum, responses.get(0).getIdSum());
  }

  @Test
  void bidiEchoesInOrderAndHalfClosesBothWays() throws Exception {
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(TestService.BIDI, CallOptions.DEFAULT), recorder);
    for (int i = 0; i < 1000; i++) {
      requests.onNext(TestRequest.newBuilder().setId(i).setResponseCount(2).build());
    }
    // The client half-closes; the server still answers everything, then completes.
    requests.onCompleted();
    List<TestResponse> responses = await(recorder.done);
    assertEquals(2000, responses.size());
    for (int i = 0; i < 2000; i++) {
      assertEquals(i / 2, responses.get(i).getId());
      assertEquals(i % 2, responses.get(i).getIndex());
    }
  }

  @Test
  void serverCompletingFirstEndsTheClientStream() throws Exception {
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(TestService.BIDI, CallOptions.DEFAULT), recorder);
    requests.onNext(request(1));
    requests.onNext(TestRequest.newBuilder().setId(2).setFailCode(Status.Code.ABORTED.value())
        .setFailMessage("server stops here").build());
    StatusRuntimeException e = awaitFailure(recorder.done);
    assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
    assertEquals("server stops here", e.getStatus().getDescription());
    assertEquals(1, recorder.values.size(), "the response sent before the failure arrives");
    // The client's later messages go nowhere and do not fail.
    requests.onNext(request(3));
    requests.onCompleted();
    waitUntil("both sides forget the call", () -> server.activeCalls() == 0 && client.activeCalls() == 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Concurrency

  @Test
  void tenThousandConcurrentCallsCompleteOutOfOrder() throws Exception {
    int n = 10_000;
    List<CompletableFuture<TestResponse>> futures = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      futures.add(futureUnary(TestRequest.newBuilder().setId(i).setHold(true).build(), CallOptions.DEFAULT));
    }
    waitUntil("all " + n + " calls reach the server", () -> service.held.size() == n);
    List<TestService.Held> held = new ArrayList<>(service.held);
    service.held.clear();
    Collections.shuffle(held, new Random(42));
    for (TestService.Held h : held) {
      h.observer.onNext(TestService.response(h.request, 0));
      h.observer.onCompleted();
    }
    for (int i = 0; i < n; i++) {
      assertEquals(i, await(futures.get(i)).getId(), "call " + i + " got another call's response");
    }
    waitUntil("no call is left in flight", () -> client.activeCalls() == 0 && server.activeCalls() == 0);
  }

  @Test
  void manyThreadsMixingShapesAtOnce() throws Exception {
    int threads = 8;
    int perThread = 300;
    List<Thread> workers = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      Thread w = new Thread(() -> {
        try {
          for (int i = 0; i < perThread; i++) {
            long id = seed * 1_000_000L + i;
            switch (i % 3) {
              case 0:
                assertEquals(id, blockingUnary(request(id), CallOptions.DEFAULT).getId());
                break;
              case 1: {
                TestRequest r = TestRequest.newBuilder().setId(id).setResponseCount(5).build();
                int count = 0;
                try (BlockingResponseStream<TestResponse> it = ClientCalls.blockingServerStreamingCall(
                    channel, TestService.SERVER_STREAM, CallOptions.DEFAULT, r)) {
                  while (it.hasNext()) {
                    assertEquals(id, it.next().getId());
                    count++;
                  }
                }
                assertEquals(5, count);
                break;
              }
              default: {
                Recorder<TestResponse> rec = new Recorder<>();
                StreamObserver<TestRequest> req = ClientCalls.asyncClientStreamingCall(
                    channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT), rec);
                req.onNext(request(id));
                req.onNext(request(1));
                req.onCompleted();
                assertEquals(id + 1, await(rec.done).get(0).getIdSum());
              }
            }
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS * 2));
      assertFalse(w.isAlive(), "a worker thread hung");
    }
    assertTrue(failures.isEmpty(), () -> "failures: " + failures);
  }

  // ---------------------------------------------------------------------------------------------
  // Cancellation and deadlines

  @Test
  void clientCancelReachesTheServer() throws Exception {
    CompletableFuture<TestResponse> future =
        futureUnary(TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build(), CallOptions.DEFAULT);
    CallContext serverSide = service.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(serverSide, "the handler never started");
    assertFalse(serverSide.isCancelled());
    assertTrue(future.cancel(true));
    Status seen = service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(seen, "the server never saw the cancellation");
    assertEquals(Status.Code.CANCELLED, seen.getCode());
    waitUntil("both sides release the call", () -> server.activeCalls() == 0 && client.activeCalls() == 0);
    // A listener added twice runs twice; one removed does not run.
    waitUntil("the listener added twice runs twice", () -> service.addedTwiceRuns.get() == 2);
    assertEquals(0, service.removedRuns.get(), "a removed cancellation listener ran");
  }

  @Test
  void cancelOfAStreamingCallEndsItOnBothSides() throws Exception {
    AtomicReference<dev.spoke.stub.ClientCallStreamObserver<TestRequest>> requestSide = new AtomicReference<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    dev.spoke.stub.ClientResponseObserver<TestRequest, TestResponse> observer =
        new dev.spoke.stub.ClientResponseObserver<>() {
          @Override
          public void beforeStart(dev.spoke.stub.ClientCallStreamObserver<TestRequest> requests) {
            requestSide.set(requests);
          }

          @Override
          public void onNext(TestResponse value) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        };
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncBidiStreamingCall(channel.newCall(TestService.BIDI, CallOptions.DEFAULT), observer);
    requests.onNext(request(1));
    waitUntil("the server receives the first request", () -> service.streamedRequests.get() == 1);
    requestSide.get().cancel("test cancels", null);
    Throwable t = ended.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertTrue(t instanceof StatusRuntimeException, "expected a status failure, got " + t);
    assertEquals(Status.Code.CANCELLED, ((StatusRuntimeException) t).getStatus().getCode());
    waitUntil("the server lets go of the call", () -> server.activeCalls() == 0);
  }

  @Test
  void serverFailureEndsTheClientStreamWithItsStatus() throws Exception {
    TestRequest r = TestRequest.newBuilder().setId(3).setResponseCount(10)
        .setFailCode(Status.Code.DATA_LOSS.value()).setFailMessage("disk on fire").build();
    Recorder<TestResponse> recorder = new Recorder<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(TestService.SERVER_STREAM, CallOptions.DEFAULT), r, recorder);
    StatusRuntimeException e = awaitFailure(recorder.done);
    assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
    assertEquals("disk on fire", e.getStatus().getDescription());
    assertEquals(10, recorder.values.size(), "messages sent before the failure are delivered first");
  }

  @Test
  void deadlineEndsBothSidesAndReleasesTheCall() throws Exception {
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(300, TimeUnit.MILLISECONDS);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blockingUnary(TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build(), options));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(TestService.UNARY.getFullMethodName()),
        "the error names what it waited for: " + e.getStatus());
    Status seen = service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(seen, "the server never saw the deadline");
    assertEquals(Status.Code.DEADLINE_EXCEEDED, seen.getCode());
    waitUntil("both sides release the call", () -> server.activeCalls() == 0 && client.activeCalls() == 0);
  }

  @Test
  void asyncDeadlineFires() throws Exception {
    CompletableFuture<TestResponse> f = futureUnary(TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build(),
        CallOptions.DEFAULT.withDeadlineAfter(200, TimeUnit.MILLISECONDS));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, awaitFailure(f).getStatus().getCode());
    assertNotNull(service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void serverSeesTheRemainingTime() throws Exception {
    TestResponse withDeadline = blockingUnary(request(1), CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    long remaining = withDeadline.getDeadlineRemainingMillis();
    assertTrue(remaining > 0 && remaining <= 20_000, "remaining " + remaining + " ms");
    assertEquals(-1, blockingUnary(request(2), CallOptions.DEFAULT).getDeadlineRemainingMillis());
  }

  @Test
  void expiredDeadlineFailsAtOnceWithoutReachingTheServer() throws Exception {
    long servedBefore = server.callsServed();
    CallOptions past = CallOptions.DEFAULT.withDeadline(Deadline.after(-5, TimeUnit.MILLISECONDS));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blockingUnary(request(1), past));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, awaitFailure(futureUnary(request(2), past)).getStatus().getCode());
    assertEquals(servedBefore, server.callsServed());
  }

  @Test
  void nestedCallsInheritTheDeadlineAndTheCancellation() throws Exception {
    // A second service on the client side lets the server call back while it serves a call.
    TestService callbackService = new TestService();
    client.registry().addService(callbackService.definition());
    // The server's relay calls back with no deadline of its own: the nested call must inherit ours.
    server.serve(ServerFixture.NESTED_RELAY);
    CompletableFuture<TestResponse> outer = ClientCalls.futureUnaryCall(
        channel.newCall(ServerFixture.RELAY, CallOptions.DEFAULT.withDeadlineAfter(400, TimeUnit.MILLISECONDS)), request(1));
    CallContext nestedOnClient = callbackService.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(nestedOnClient, "the nested call never arrived");
    assertNotNull(nestedOnClient.getDeadline(), "the nested call inherited no deadline");
    assertTrue(nestedOnClient.timeRemaining(TimeUnit.MILLISECONDS) <= 400);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, awaitFailure(outer).getStatus().getCode());
    Status nestedEnd = callbackService.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(nestedEnd, "the nested call was never cancelled");
    waitUntil("every call on both sides ends", () -> server.activeCalls() == 0 && client.activeCalls() == 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Call isolation: every call gets its own answer, whatever happened to the call before it

  @Test
  void aBlockingCallWhoseRequestCouldNotBeSentLeavesNothingForTheNextCall() throws Exception {
    for (int round = 0; round < 20; round++) {
      assertThrows(NullPointerException.class, () -> blockingUnary(null, CallOptions.DEFAULT));
      for (int i = 0; i < 5; i++) {
        long id = round * 100L + i;
        assertEquals(id, blockingUnary(request(id), CallOptions.DEFAULT).getId(), "call " + id + " got another's answer");
      }
    }
    waitUntil("no call is left in flight", () -> client.activeCalls() == 0 && server.activeCalls() == 0);
  }

  @Test
  void anInterruptedBlockingCallLeavesNothingForTheNextCall() throws Exception {
    for (int round = 0; round < 10; round++) {
      Thread caller = Thread.currentThread();
      CountDownLatch started = new CountDownLatch(1);
      Thread interrupter = new Thread(() -> {
        try {
          started.await();
          TestService.Held held = service.held.poll(WAIT_SECONDS, TimeUnit.SECONDS);
          caller.interrupt();
          if (held != null) {
            // The answer comes after the interrupt: it belongs to the cancelled call and must go nowhere.
            held.observer.onNext(TestService.response(held.request, 0));
            held.observer.onCompleted();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      interrupter.start();
      started.countDown();
      try {
        // The answer races the interrupt: either may win, but the call ends with its own outcome.
        assertEquals(-1, blockingUnary(TestRequest.newBuilder().setId(-1).setHold(true).build(), CallOptions.DEFAULT).getId());
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
      }
      assertTrue(Thread.interrupted(), "the interrupt flag was not kept");
      interrupter.join();
      for (int i = 0; i < 5; i++) {
        long id = round * 100L + i;
        assertEquals(id, blockingUnary(request(id), CallOptions.DEFAULT).getId(), "call " + id + " got another's answer");
      }
    }
  }

  @Test
  void interruptsNullsDeadlinesAndCancelsMixedNeverMisattributeAnAnswer() throws Exception {
    int threads = 6;
    int callsPerThread = 300;
    AtomicInteger wrong = new AtomicInteger();
    AtomicInteger ok = new AtomicInteger();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    List<Thread> callers = new ArrayList<>();
    AtomicBoolean running = new AtomicBoolean(true);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      callers.add(new Thread(() -> {
        Random random = new Random(thread);
        for (int i = 0; i < callsPerThread; i++) {
          long id = thread * 1_000_000L + i;
          int what = random.nextInt(10);
          try {
            if (what == 0) {
              assertThrows(NullPointerException.class, () -> blockingUnary(null, CallOptions.DEFAULT));
              continue;
            }
            CallOptions options = what == 1 ? CallOptions.DEFAULT.withDeadlineAfter(random.nextInt(3), TimeUnit.MILLISECONDS)
                : CallOptions.DEFAULT;
            TestRequest r = TestRequest.newBuilder().setId(id).setSleepMillis(what == 2 ? 1 : 0).build();
            if (what == 3) {
              BlockingResponseStream<TestResponse> stream = ClientCalls.blockingServerStreamingCall(channel,
                  TestService.SERVER_STREAM, options, r.toBuilder().setResponseCount(5).build());
              try {
                if (stream.hasNext() && stream.next().getId() != id) {
                  wrong.incrementAndGet();
                }
              } finally {
                stream.close();
              }
              continue;
            }
            TestResponse response = blockingUnary(r, options);
            if (response.getId() != id) {
              wrong.incrementAndGet();
              problems.add("call " + id + " got the answer of " + response.getId());
            } else {
              ok.incrementAndGet();
            }
          } catch (StatusRuntimeException e) {
            Status.Code code = e.getStatus().getCode();
            if (code != Status.Code.CANCELLED && code != Status.Code.DEADLINE_EXCEEDED) {
              problems.add("call " + id + " failed with " + e.getStatus());
            }
          } catch (RuntimeException | AssertionError e) {
            problems.add("call " + id + " threw " + e);
          }
          Thread.interrupted(); // an interrupt that came between calls belongs to none of them
        }
      }, "isolation-" + t));
    }
    Thread interrupter = new Thread(() -> {
      Random random = new Random(42);
      while (running.get()) {
        callers.get(random.nextInt(threads)).interrupt();
        java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(300_000));
      }
    });
    callers.forEach(Thread::start);
    interrupter.start();
    for (Thread c : callers) {
      c.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS * 4));
      assertFalse(c.isAlive(), c.getName() + " hangs");
    }
    running.set(false);
    interrupter.join();
    assertEquals(0, wrong.get(), () -> "answers went to the wrong call: " + problems);
    assertTrue(problems.isEmpty(), () -> "unexpected outcomes: " + problems);
    assertTrue(ok.get() > 0, "no call succeeded at all");
    waitUntil("no call is left in flight", () -> client.activeCalls() == 0 && server.activeCalls() == 0);
  }

  @Test
  void aDirectHandlerThatMakesABlockingCallBackDoesNotStallItsConnection() throws Exception {
    // The server's handler runs inline on the thread that delivered its frame and calls the client's
    // service back, blocking: that thread must hand delivery on, or its own answer could never arrive.
    TestService callbackService = new TestService();
    client.registry().addService(callbackService.definition());
    server.serve(ServerFixture.DIRECT_RELAY);
    MethodDescriptor<TestRequest, TestResponse> relay = ServerFixture.RELAY;
    for (int i = 0; i < 200; i++) {
      assertEquals(i * 10L + 1, ClientCalls.blockingUnaryCall(channel, relay, CallOptions.DEFAULT, request(i * 10L)).getId());
    }
    // While one relay is parked in its callback, other calls still flow both ways.
    CompletableFuture<TestResponse> parked = ClientCalls.futureUnaryCall(channel.newCall(relay, CallOptions.DEFAULT),
        TestRequest.newBuilder().setId(7).build());
    assertEquals(8, await(parked).getId());
    for (int i = 0; i < 50; i++) {
      assertEquals(i, blockingUnary(request(i), CallOptions.DEFAULT).getId());
    }
  }

  @Test
  void reentrantChainsThroughDirectHandlersOnBothSidesComplete() throws Exception {
    // host → plugin → host → … ten deep, four chains at once, every hop a blocking call made by a
    // handler bound to a direct executor: every hop's thread must give delivery up while it waits.
    MethodDescriptor<TestRequest, TestResponse> hop = ServerFixture.RELAY;
    ServerFixture.HOP.bindTo(client.registry());
    server.serve(ServerFixture.HOP);
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<TestResponse>> chains = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        chains.add(ClientCalls.futureUnaryCall(
            channel.newCall(hop, CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS)),
            TestRequest.newBuilder().setId(round * 10L + c).setResponseCount(10).build()));
      }
      for (int c = 0; c < 4; c++) {
        TestResponse r = await(chains.get(c));
        assertEquals(round * 10L + c, r.getId());
        assertEquals(10, r.getIndex(), "hops taken");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

  @Test
  void errorsOfEveryKindReachTheClient() throws Exception {
    for (Status.Code code : Status.Code.values()) {
      if (code == Status.Code.OK) {
        continue;
      }
      TestRequest r = TestRequest.newBuilder().setId(1).setFailCode(code.value()).setFailMessage("because " + code).build();
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blockingUnary(r, CallOptions.DEFAULT));
      assertEquals(code, e.getStatus().getCode());
      assertEquals("because " + code, e.getStatus().getDescription());
    }
    TestRequest thrower = TestRequest.newBuilder().setId(2).setThrowRuntime(true).setFailMessage("handler bug").build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blockingUnary(thrower, CallOptions.DEFAULT));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("handler bug"), e.getStatus().toString());
  }

  @Test
  void statusExceptionFromAHandlerKeepsItsStatusAndTrailers() throws Exception {
    server.serve(ServerFixture.THROWER);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, ServerFixture.THROW, CallOptions.DEFAULT, request(1)));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("not you", e.getStatus().getDescription());
    assertEquals("acl", e.getTrailers().get("reason"));
  }

  @Test
  void unknownMethodIsUnimplementedAndNamesTheMethod() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, TestService.NOT_BOUND, CallOptions.DEFAULT, request(1)));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(TestService.NOT_BOUND.getFullMethodName()), e.getStatus().toString());
    // The connection carries on.
    assertEquals(2, blockingUnary(request(2), CallOptions.DEFAULT).getId());
  }

  @Test
  void unparsableRequestFailsThatCallOnlyWithInternal() throws Exception {
    // A client whose marshaller writes bytes that are not a TestRequest.
    Marshaller<String> garbage = new Marshaller<>() {
      @Override
      public int serializedSize(String value) {
        return 3;
      }

      @Override
      public void writeTo(String value, ByteBuffer target) {
        target.put(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
      }

      @Override
      public String parse(ByteBuffer source) throws IOException {
        throw new IOException("unused");
      }
    };
    MethodDescriptor<String, TestResponse> bad = MethodDescriptor
        .newBuilder(garbage, TestService.UNARY.getResponseMarshaller())
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(TestService.UNARY.getFullMethodName()).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, bad, CallOptions.DEFAULT, "x"));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(TestService.UNARY.getFullMethodName()), e.getStatus().toString());
    assertEquals(3, blockingUnary(request(3), CallOptions.DEFAULT).getId());
  }

  @Test
  void unparsableResponseFailsThatCallWithInternal() throws Exception {
    Marshaller<String> refuses = new Marshaller<>() {
      @Override
      public int serializedSize(String value) {
        return 0;
      }

      @Override
      public void writeTo(String value, ByteBuffer target) {}

      @Override
      public String parse(ByteBuffer source) throws IOException {
        throw new IOException("not a string I know");
      }
    };
    MethodDescriptor<TestRequest, String> bad = MethodDescriptor
        .newBuilder(TestService.UNARY.getRequestMarshaller(), refuses)
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(TestService.UNARY.getFullMethodName()).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, bad, CallOptions.DEFAULT, request(1)));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("not a string I know"), e.getStatus().toString());
  }

  @Test
  void payloadLargerThanTheTransportCarriesFailsClearly() throws Exception {
    int max = pair.client.maxPayloadLength();
    TestRequest huge = TestRequest.newBuilder().setId(1).setPayload(ByteString.copyFrom(new byte[max + 1])).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blockingUnary(huge, CallOptions.DEFAULT));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains(String.valueOf(max)), "names the limit: " + e.getStatus());
    // A response too large is reported to the client the same way.
    TestRequest bigAnswer = TestRequest.newBuilder().setId(2).setResponseSize(max + 1).build();
    e = assertThrows(StatusRuntimeException.class, () -> blockingUnary(bigAnswer, CallOptions.DEFAULT));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals(3, blockingUnary(request(3), CallOptions.DEFAULT).getId());
  }

  // ---------------------------------------------------------------------------------------------
  // Isolation: a slow or blocked call never holds up the others

  @Test
  void blockedHandlerDoesNotDelayOtherCalls() throws Exception {
    CompletableFuture<TestResponse> stuck =
        futureUnary(TestRequest.newBuilder().setId(0).setBlockUntilCancelled(true).build(), CallOptions.DEFAULT);
    assertNotNull(service.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    for (int i = 1; i <= 200; i++) {
      assertEquals(i, blockingUnary(request(i), CallOptions.DEFAULT).getId());
    }
    assertFalse(stuck.isDone(), "the blocked call is still blocked while the others completed");
    stuck.cancel(true);
    assertNotNull(service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void directExecutorServiceRunsInlineAndAnswers() throws Exception {
    // The echo answers with the name of the thread its handler ran on.
    server.serve(ServerFixture.DIRECT_ECHO);
    String handlerThread = null;
    for (int i = 0; i < 100; i++) {
      TestResponse r = ClientCalls.blockingUnaryCall(channel, ServerFixture.ECHO, CallOptions.DEFAULT, request(i));
      assertEquals(i, r.getId());
      handlerThread = r.getPayload().toStringUtf8();
    }
    assertFalse(handlerThread.startsWith("test-server"), "ran on a pool thread: " + handlerThread);
  }

  @Test
  void slowStreamConsumerDoesNotHoldUpOtherCalls() throws Exception {
    // The server streams as fast as it can; the client consumes slowly. Flow control keeps the
    // transport from filling, and other calls go on meanwhile.
    TestRequest r = TestRequest.newBuilder().setId(1).setResponseCount(400).setResponseSize(1000).build();
    AtomicInteger consumed = new AtomicInteger();
    CompletableFuture<Void> streamDone = new CompletableFuture<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(TestService.SERVER_STREAM, CallOptions.DEFAULT), r,
        new StreamObserver<>() {
          @Override
          public void onNext(TestResponse value) {
            consumed.incrementAndGet();
            try {
              Thread.sleep(5);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }

          @Override
          public void onError(Throwable t) {
            streamDone.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            streamDone.complete(null);
          }
        });
    waitUntil("the stream starts", () -> consumed.get() > 0);
    for (int i = 0; i < 100; i++) {
      assertEquals(i, blockingUnary(request(i), CallOptions.DEFAULT).getId());
    }
    assertFalse(streamDone.isDone(), "other calls completed while the slow stream was still going");
    await(streamDone);
    assertEquals(400, consumed.get());
    assertFramesInFlightBounded(pair.client);
  }

  @Test
  void fastClientStreamToASlowServerStaysWithinTheWindow() throws Exception {
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncClientStreamingCall(channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT), recorder);
    // The producer ignores isReady: messages beyond the window wait in the call, not in the transport.
    for (int i = 0; i < 300; i++) {
      requests.onNext(TestRequest.newBuilder().setId(i).setSleepMillis(i < 100 ? 1 : 0).build());
    }
    requests.onCompleted();
    assertEquals(300, await(recorder.done).get(0).getRequestsReceived());
    assertFramesInFlightBounded(pair.server);
  }

  @Test
  void onReadyFollowsCredit() throws Exception {
    AtomicReference<dev.spoke.stub.ClientCallStreamObserver<TestRequest>> requestSide = new AtomicReference<>();
    Recorder<TestResponse> results = new Recorder<>();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger readyCalls = new AtomicInteger();
    int total = 500;
    CountDownLatch allSent = new CountDownLatch(1);
    dev.spoke.stub.ClientResponseObserver<TestRequest, TestResponse> observer =
        new dev.spoke.stub.ClientResponseObserver<>() {
          @Override
          public void beforeStart(dev.spoke.stub.ClientCallStreamObserver<TestRequest> requests) {
            requestSide.set(requests);
            requests.setOnReadyHandler(() -> {
              readyCalls.incrementAndGet();
              // Send only while there is credit: the well-behaved producer.
              while (requests.isReady() && sent.get() < total) {
                requests.onNext(request(sent.incrementAndGet()));
              }
              if (sent.get() == total && allSent.getCount() == 1) {
                allSent.countDown();
                requests.onCompleted();
              }
            });
          }

          @Override
          public void onNext(TestResponse value) {
            results.onNext(value);
          }

          @Override
          public void onError(Throwable t) {
            results.onError(t);
          }

          @Override
          public void onCompleted() {
            results.onCompleted();
          }
        };
    // Nothing is sent from here: the first onReady, at start, begins the stream.
    ClientCalls.asyncClientStreamingCall(channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT), observer);
    assertTrue(allSent.await(WAIT_SECONDS, TimeUnit.SECONDS), "onReady stopped coming after " + sent.get());
    assertEquals(total, await(results.done).get(0).getRequestsReceived());
    // Credit ran out at least once (500 > the window), so onReady came more than once.
    assertTrue(readyCalls.get() > 1, "onReady ran " + readyCalls.get() + " times");
  }

  /** Transports that can count frames in flight check here that flow control bounded them. */
  protected void assertFramesInFlightBounded(Transport towards) {}

  // ---------------------------------------------------------------------------------------------
  // Metadata

  @Test
  void headersAndTrailersRoundTrip() throws Exception {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    CallOptions options = CallOptions.DEFAULT.withHeader("trace-id", "abc-123").withHeader("tenant", "t1")
        .withTrailersListener(trailers::set);
    TestResponse response = blockingUnary(TestRequest.newBuilder().setId(1).setEchoHeader("trace-id").build(), options);
    assertEquals("abc-123", response.getHeaderValue());
    assertNotNull(trailers.get());
    assertEquals("abc-123", trailers.get().get("echo-trace-id"));
    // Without metadata nothing is sent or seen.
    AtomicReference<Metadata> none = new AtomicReference<>();
    TestResponse plain = blockingUnary(TestRequest.newBuilder().setId(2).setEchoHeader("trace-id").build(),
        CallOptions.DEFAULT.withTrailersListener(none::set));
    assertEquals("", plain.getHeaderValue());
    assertTrue(none.get().isEmpty());
  }

  @Test
  void aLargeMessageAfterHeadersAndBeforeTrailersArrivesByteExact() throws Exception {
    // Metadata and message share one payload each way: the receiver parses the message where it lies,
    // after the metadata, so an offset wrong by one byte would show here.
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    CallOptions options = CallOptions.DEFAULT.withHeader("trace-id", "abc-123").withTrailersListener(trailers::set);
    ByteString payload = TestService.pattern(31, 200_003);
    TestResponse response = blockingUnary(
        TestRequest.newBuilder().setId(31).setPayload(payload).setEchoHeader("trace-id").build(), options);
    assertEquals(payload, response.getPayload(), "the request's bytes, echoed, after the request's headers");
    assertEquals("abc-123", response.getHeaderValue());
    assertEquals("abc-123", trailers.get().get("echo-trace-id"), "the trailers before the response's message");
    assertEquals(31, response.getId());
  }

  @Test
  void headersOfStreamingCallsArrive() throws Exception {
    Recorder<TestResponse> recorder = new Recorder<>();
    ClientCall<TestRequest, TestResponse> call = channel.newCall(TestService.BIDI, CallOptions.DEFAULT.withHeader("k", "v"));
    StreamObserver<TestRequest> requests = ClientCalls.asyncBidiStreamingCall(call, recorder);
    requests.onNext(TestRequest.newBuilder().setId(1).setEchoHeader("k").build());
    requests.onCompleted();
    assertEquals("v", await(recorder.done).get(0).getHeaderValue());
  }

  // ---------------------------------------------------------------------------------------------
  // Connection lifecycle

  @Test
  void transportClosingFailsCallsInFlightWithUnavailable() throws Exception {
    CompletableFuture<TestResponse> inFlight =
        futureUnary(TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build(), CallOptions.DEFAULT);
    assertNotNull(service.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    server.shutdownNow(Status.UNAVAILABLE.withDescription("server going down for the test"));
    assertEquals(Status.Code.UNAVAILABLE, awaitFailure(inFlight).getStatus().getCode());
    Status seen = service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(seen, "the server-side handler was not told");
    StatusRuntimeException after = assertThrows(StatusRuntimeException.class,
        () -> blockingUnary(request(2), CallOptions.DEFAULT));
    assertEquals(Status.Code.UNAVAILABLE, after.getStatus().getCode());
  }

  @Test
  void callsInFlightListsEachSideWithItsMethodAgeAndDeadline() throws Exception {
    long before = System.nanoTime();
    CompletableFuture<TestResponse> running = futureUnary(TestRequest.newBuilder().setId(1).setHold(true).build(),
        CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS));
    TestService.Held h = service.held.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(h);
    // The server's own list where it runs in this JVM; a server in a child process is seen from here only.
    Connection local = server instanceof LocalServerSide ? ((LocalServerSide) server).connection() : null;
    List<dev.spoke.internal.CallInFlight> out = client.callsInFlight();
    List<dev.spoke.internal.CallInFlight> in = local != null ? local.callsInFlight() : List.of();
    assertEquals(1, out.size(), out.toString());
    assertEquals(local != null ? 1 : 0, in.size(), in.toString());
    List<dev.spoke.internal.CallInFlight> seen = new ArrayList<>(out);
    seen.addAll(in);
    for (dev.spoke.internal.CallInFlight c : seen) {
      assertEquals(TestService.UNARY.getFullMethodName(), c.fullMethodName());
      assertEquals(MethodDescriptor.MethodType.UNARY, c.type());
      assertTrue(c.startedNanos() - before >= 0 && c.startedNanos() - System.nanoTime() <= 0, c.toString());
      assertTrue(c.hasDeadline(), c.toString());
      long left = c.deadlineNanos() - System.nanoTime();
      assertTrue(left > TimeUnit.SECONDS.toNanos(50) && left <= TimeUnit.SECONDS.toNanos(60), c.toString());
    }
    assertTrue(out.get(0).outgoing());
    if (local != null) {
      assertFalse(in.get(0).outgoing());
      assertEquals(out.get(0).callId(), in.get(0).callId());
    }
    h.observer.onNext(TestService.response(h.request, 0));
    h.observer.onCompleted();
    assertEquals(1, await(running).getId());
    waitUntil("both sides forget the call",
        () -> client.callsInFlight().isEmpty() && (local == null || local.callsInFlight().isEmpty()));
  }

  @Test
  void gracefulShutdownRefusesNewCallsAndLetsRunningOnesFinish() throws Exception {
    CompletableFuture<TestResponse> running =
        futureUnary(TestRequest.newBuilder().setId(1).setHold(true).build(), CallOptions.DEFAULT);
    TestService.Held h = service.held.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(h);
    server.shutdown("maintenance");
    waitUntil("the client hears GOAWAY", () -> {
      try {
        blockingUnary(request(2), CallOptions.DEFAULT);
        return false;
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.UNAVAILABLE;
      }
    });
    h.observer.onNext(TestService.response(h.request, 0));
    h.observer.onCompleted();
    assertEquals(1, await(running).getId());
    assertTrue(server.awaitDrained(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  @Test
  void callbackExecutorOfTheCallOptionsIsUsed() throws Exception {
    AtomicReference<String> ranOn = new AtomicReference<>();
    WorkerPool mine = WorkerPool.builder("mine").build();
    try {
      // The call's own callback (not a dependent stage, which may run wherever the future completes).
      Recorder<TestResponse> recorder = new Recorder<>() {
        @Override
        public void onNext(TestResponse value) {
          ranOn.set(Thread.currentThread().getName());
          super.onNext(value);
        }
      };
      ClientCalls.asyncUnaryCall(channel.newCall(TestService.UNARY, CallOptions.DEFAULT.withExecutor(mine)), request(1),
          recorder);
      await(recorder.done);
      assertTrue(ranOn.get().startsWith("mine"), ranOn.get());
    } finally {
      mine.shutdown();
    }
  }

  @Test
  void repeatedStartOrSendAfterHalfCloseIsRefused() throws Exception {
    ClientCall<TestRequest, TestResponse> call = channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT);
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests = ClientCalls.asyncClientStreamingCall(call, recorder);
    requests.onCompleted();
    assertThrows(IllegalStateException.class, () -> requests.onNext(request(1)));
    assertThrows(IllegalStateException.class, () -> call.start(new ClientCall.Listener<>() {}, null));
    assertEquals(0, await(recorder.done).get(0).getRequestsReceived());
    assertNull(client.closedStatus());
  }

  @Test
  void cancellingTheSameCallFromManyThreadsEndsItOnce() throws Exception {
    int rounds = 50;
    AtomicInteger[] closes = new AtomicInteger[rounds];
    for (int round = 0; round < rounds; round++) {
      AtomicInteger count = closes[round] = new AtomicInteger();
      CountDownLatch closed = new CountDownLatch(1);
      ClientCall<TestRequest, TestResponse> call = channel.newCall(TestService.UNARY, CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status status, Metadata trailers) {
          count.incrementAndGet();
          closed.countDown();
        }
      }, null);
      call.request(1);
      call.sendMessage(TestRequest.newBuilder().setId(round).setHold(round % 2 == 0).build());
      call.halfClose();
      AtomicBoolean go = new AtomicBoolean();
      List<Thread> cancellers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        Thread c = new Thread(() -> {
          while (!go.get()) {
            Thread.onSpinWait();
          }
          call.cancel("race", null);
        });
        cancellers.add(c);
        c.start();
      }
      go.set(true);
      for (Thread c : cancellers) {
        c.join();
      }
      assertTrue(closed.await(WAIT_SECONDS, TimeUnit.SECONDS));
    }
    // Any duplicate close was queued before its cancel() returned; a later round trip lets it run.
    assertEquals(1, blockingUnary(request(1), CallOptions.DEFAULT).getId());
    for (int round = 0; round < rounds; round++) {
      assertEquals(1, closes[round].get(), "onClose ran " + closes[round].get() + " times in round " + round);
    }
    service.held.clear();
  }

  /** A queue helper for subclasses. */
  protected static <T> T take(LinkedBlockingQueue<T> q) throws InterruptedException {
    T v = q.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertNotNull(v, "nothing arrived within " + WAIT_SECONDS + "s");
    return v;
  }
}
