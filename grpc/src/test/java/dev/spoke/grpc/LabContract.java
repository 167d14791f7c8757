package dev.spoke.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spoke.CancellableContext;
import dev.spoke.Channel;
import dev.spoke.Context;
import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.protobuf.StatusProto;
import dev.spoke.grpc.lab.Cancellation;
import dev.spoke.grpc.lab.EchoMetadata;
import dev.spoke.grpc.lab.LabReply;
import dev.spoke.grpc.lab.LabRequest;
import dev.spoke.grpc.lab.LabService;
import dev.spoke.grpc.lab.LabSpoke;
import dev.spoke.grpc.lab.ProbeService;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCallStreamObserver;
import dev.spoke.stub.ClientResponseObserver;
import dev.spoke.stub.MetadataInterceptors;
import dev.spoke.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a caller of the Lab sees, whatever carries the calls: each transport's test class supplies a
 * channel to a Lab (and the host's Probe it calls back), and every test here must pass through each of
 * them unchanged. The four shapes, deadlines, cancellation both ways and through a callback, a
 * {@link Context}'s deadline and cancellation, metadata (text and binary, request and response headers,
 * trailers), errors with their rich details, flow control, and messages up to the configured size.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class LabContract {

  /** The largest message the transport under test is configured to carry. */
  static final int MAX_MESSAGE = 16 << 20;

  /** A channel to the Lab. */
  abstract Channel lab();

  /** The host's Probe, which the Lab calls back. */
  abstract ProbeService probe();

  private LabSpoke.LabBlockingStub blocking() {
    return LabSpoke.newBlockingStub(lab()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private LabSpoke.LabStub async() {
    return LabSpoke.newStub(lab()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static LabRequest text(String text) {
    return LabRequest.newBuilder().setText(text).build();
  }

  // ---------------------------------------------------------------------------------------------
  // The four shapes

  /** Every byte value, and bytes that are not UTF-8: a binary value must arrive byte for byte. */
  static final byte[] EVERY_BYTE = everyByte();

  private static byte[] everyByte() {
    byte[] b = new byte[256 + 3];
    for (int i = 0; i < 256; i++) {
      b[i] = (byte) i;
    }
    b[256] = (byte) 0xc3; // a UTF-8 lead byte without its continuation
    b[257] = (byte) 0xff;
    b[258] = 0;
    return b;
  }

  static final Metadata.Key<byte[]> BLOB = Metadata.Key.of("x-blob-bin", Metadata.BINARY_BYTE_MARSHALLER);

  @Test
  void unaryCarriesHeadersOneWayAndTrailersTheOther() {
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Metadata headers = new Metadata();
    headers.put(BLOB, EVERY_BYTE);
    LabReply reply = blocking()
        .withHeader("x-trace", "trace-1")
        .withHeaders(headers)
        .withTrailersListener(trailers::set)
        .echo(LabRequest.newBuilder().setText("hello").setData(ByteString.copyFromUtf8("data")).build());
    assertEquals("hello", reply.getText());
    assertEquals("data", reply.getData().toStringUtf8());
    assertEquals("trace-1", reply.getHeadersMap().get("x-trace"));
    assertArrayEquals(EVERY_BYTE, reply.getBinaryHeadersMap().get("x-blob-bin").toByteArray(),
        "a binary header arrives byte for byte");
    assertEquals("echoed hello", trailers.get().get("x-lab-trailer"));
  }

  /** gRPC's interop case custom_metadata: a header echoed as a response header, a binary one as a trailer. */
  @Test
  void customMetadataComesBackAsResponseHeadersAndTrailers() throws Exception {
    Metadata extra = new Metadata();
    extra.put(EchoMetadata.INITIAL, "test_initial_metadata_value");
    extra.put(EchoMetadata.TRAILING, EVERY_BYTE);
    AtomicReference<Metadata> responseHeaders = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    LabSpoke.LabBlockingStub unary = blocking().withHeaders(extra)
        .withInterceptors(MetadataInterceptors.newCaptureMetadataInterceptor(responseHeaders, trailers));
    assertEquals("m", unary.echo(text("m")).getText());
    assertEquals("test_initial_metadata_value", responseHeaders.get().get(EchoMetadata.INITIAL));
    assertArrayEquals(EVERY_BYTE, trailers.get().get(EchoMetadata.TRAILING), "the binary trailer, byte for byte");

    // The same on a stream both ways (the interop case's second half).
    AtomicReference<Metadata> streamHeaders = new AtomicReference<>();
    AtomicReference<Metadata> streamTrailers = new AtomicReference<>();
    List<LabReply> replies = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<LabRequest> requests = async().withHeaders(extra)
        .withInterceptors(MetadataInterceptors.newCaptureMetadataInterceptor(streamHeaders, streamTrailers))
        .chat(collect(replies, done));
    requests.onNext(text("a"));
    requests.onNext(text("b"));
    requests.onCompleted();
    done.get(30, TimeUnit.SECONDS);
    assertEquals(2, replies.size());
    assertEquals("test_initial_metadata_value", streamHeaders.get().get(EchoMetadata.INITIAL));
    assertArrayEquals(EVERY_BYTE, streamTrailers.get().get(EchoMetadata.TRAILING));

    // A server that sends no headers: the client hears none.
    AtomicReference<Metadata> none = new AtomicReference<>();
    blocking().withInterceptors(MetadataInterceptors.newCaptureMetadataInterceptor(none, new AtomicReference<>()))
        .echo(text("plain"));
    assertNull(none.get(), "no response headers were sent, none heard");
  }

  @Test
  void serverStreamingDeliversEveryReplyInOrder() {
    List<Integer> seen = new ArrayList<>();
    try (BlockingResponseStream<LabReply> replies = blocking().count(LabRequest.newBuilder().setCount(500).setReplySize(100).build())) {
      while (replies.hasNext()) {
        LabReply r = replies.next();
        assertEquals(100, r.getData().size());
        seen.add(r.getIndex());
      }
    }
    assertEquals(500, seen.size());
    for (int i = 0; i < seen.size(); i++) {
      assertEquals(i, seen.get(i));
    }
  }

  @Test
  void clientStreamingSumsEveryRequest() throws Exception {
    CompletableFuture<LabReply> result = new CompletableFuture<>();
    StreamObserver<LabRequest> requests = async().sum(observer(result));
    for (int i = 1; i <= 1000; i++) {
      requests.onNext(LabRequest.newBuilder().setNumber(i).build());
    }
    requests.onCompleted();
    assertEquals(500_500, result.get(30, TimeUnit.SECONDS).getTotal());
  }

  @Test
  void bidiStreamingAnswersEachRequestInOrder() throws Exception {
    List<LabReply> replies = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<LabRequest> requests = async().chat(new StreamObserver<>() {
      @Override
      public void onNext(LabReply value) {
        replies.add(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    });
    for (int i = 0; i < 200; i++) {
      requests.onNext(text("m" + i));
    }
    requests.onCompleted();
    done.get(30, TimeUnit.SECONDS);
    assertEquals(200, replies.size());
    for (int i = 0; i < 200; i++) {
      assertEquals("m" + i, replies.get(i).getText());
      assertEquals(i, replies.get(i).getIndex());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Errors

  @Test
  void aStatusErrorKeepsItsCodeDescriptionAndTrailers() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking()
        .echo(LabRequest.newBuilder().setText("no such page").setFailCode(Status.Code.NOT_FOUND.value()).build()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("no such page", e.getStatus().getDescription());
    assertNotNull(e.getTrailers());
    assertEquals("failed on purpose", e.getTrailers().get("x-lab-detail"));
  }

  @Test
  void aRichErrorKeepsItsDetails() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking().echo(LabRequest.newBuilder()
        .setText("width must be positive").setFailCode(Status.Code.INVALID_ARGUMENT.value()).setRichError(true).build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("width must be positive", e.getStatus().getDescription());
    com.google.rpc.Status details = StatusProto.fromThrowable(e);
    assertEquals(LabService.richError(Status.Code.INVALID_ARGUMENT.value(), "width must be positive"), details,
        "the google.rpc.Status arrives whole, details included");
  }

  @Test
  void aHandlerThatThrowsEndsItsCallUnknownWithTheMessage() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blocking().echo(LabRequest.newBuilder().setThrowMessage("boom").build()));
    assertEquals(Status.Code.UNKNOWN, e.getStatus().getCode());
    assertEquals("java.lang.IllegalStateException: boom", e.getStatus().getDescription());
  }

  @Test
  void anErrorInTheMiddleOfAStreamEndsIt() throws Exception {
    List<LabReply> replies = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<LabRequest> requests = async().chat(collect(replies, done));
    requests.onNext(text("one"));
    requests.onNext(LabRequest.newBuilder().setText("refused").setFailCode(Status.Code.PERMISSION_DENIED.value()).build());
    ExecutionException e = assertThrows(ExecutionException.class, () -> done.get(30, TimeUnit.SECONDS));
    Status s = Status.fromThrowable(e.getCause());
    assertEquals(Status.Code.PERMISSION_DENIED, s.getCode());
    assertEquals("refused", s.getDescription());
    assertEquals(1, replies.size());
    requests.onCompleted(); // after the end: dropped, not thrown
  }

  @Test
  void anRpcTheServiceDoesNotImplementIsUnimplemented() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> blocking().missing(text("?")));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("spoke.grpc.lab.Lab/Missing"), e.getStatus().toString());
  }

  // ---------------------------------------------------------------------------------------------
  // Deadlines and cancellation

  @Test
  void theDeadlineTravelsToTheServer() {
    LabReply reply = LabSpoke.newBlockingStub(lab()).withDeadlineAfter(5, TimeUnit.SECONDS).echo(text("t"));
    assertTrue(reply.getDeadlineMillis() > 3000 && reply.getDeadlineMillis() <= 5000, "deadline left: " + reply.getDeadlineMillis());
    assertEquals(-1, LabSpoke.newBlockingStub(lab()).echo(text("t")).getDeadlineMillis(), "no deadline, none seen");
  }

  @Test
  void aDeadlineEndsTheCallOnBothSides() {
    String id = UUID.randomUUID().toString();
    long start = System.nanoTime();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
      try (BlockingResponseStream<LabReply> replies =
          LabSpoke.newBlockingStub(lab()).withDeadlineAfter(500, TimeUnit.MILLISECONDS).hang(text(id))) {
        while (replies.hasNext()) {
          replies.next();
        }
      }
    });
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(millis >= 450 && millis < 5000, "ended after " + millis + " ms");
    Cancellation c = blocking().lastCancellation(text(id));
    assertTrue(c.getSeen(), "the server saw the call end");
    assertEquals(Status.Code.DEADLINE_EXCEEDED.value(), c.getCode(), c.toString());
  }

  @Test
  void aCancelByTheClientReachesTheServer() throws Exception {
    String id = UUID.randomUUID().toString();
    CompletableFuture<Void> hanging = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<LabRequest>> call = new AtomicReference<>();
    async().hang(text(id), new ClientResponseObserver<LabRequest, LabReply>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<LabRequest> requestStream) {
        call.set(requestStream);
      }

      @Override
      public void onNext(LabReply value) {
        hanging.complete(null);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    hanging.get(30, TimeUnit.SECONDS); // the server has the call
    call.get().cancel("the test is done with it", null);
    Cancellation c = blocking().lastCancellation(text(id));
    assertTrue(c.getSeen(), "the server saw the cancellation");
    assertEquals(Status.Code.CANCELLED.value(), c.getCode(), c.toString());
  }

  @Test
  void aCancelledContextCancelsTheCallsStartedInIt() throws Exception {
    String id = UUID.randomUUID().toString();
    CompletableFuture<Void> hanging = new CompletableFuture<>();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    CancellableContext context = Context.current().withCancellation();
    context.run(() -> async().hang(text(id), new StreamObserver<>() {
      @Override
      public void onNext(LabReply value) {
        hanging.complete(null);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    }));
    hanging.get(30, TimeUnit.SECONDS);
    context.cancel(null);
    assertEquals(Status.Code.CANCELLED, closed.get(10, TimeUnit.SECONDS).getCode());
    Cancellation c = blocking().lastCancellation(text(id));
    assertTrue(c.getSeen(), "the server saw the cancellation");
    assertEquals(Status.Code.CANCELLED.value(), c.getCode(), c.toString());
  }

  @Test
  void aContextsDeadlineBoundsTheCallsStartedInIt() throws Exception {
    try (CancellableContext context = Context.current().withDeadlineAfter(4, TimeUnit.SECONDS)) {
      LabReply reply = context.call(() -> LabSpoke.newBlockingStub(lab()).withDeadlineAfter(30, TimeUnit.SECONDS).echo(text("d")));
      assertTrue(reply.getDeadlineMillis() > 2000 && reply.getDeadlineMillis() <= 4000,
          "the earlier deadline, the context's, travels: " + reply.getDeadlineMillis());
    }
    try (CancellableContext context = Context.current().withDeadlineAfter(300, TimeUnit.MILLISECONDS)) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> context.run(() -> {
        try (BlockingResponseStream<LabReply> replies = blocking().hang(text(UUID.randomUUID().toString()))) {
          while (replies.hasNext()) {
            replies.next();
          }
        }
      }));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode(), "a context's deadline ends a call as its own");
    }
  }

  @Test
  void aServerThatEndsAStreamEarlyEndsItForTheClient() throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    List<LabReply> replies = new ArrayList<>();
    StreamObserver<LabRequest> requests = async().chat(collect(replies, done));
    requests.onNext(LabRequest.newBuilder().setText("stop").setFailCode(Status.Code.CANCELLED.value()).build());
    ExecutionException e = assertThrows(ExecutionException.class, () -> done.get(30, TimeUnit.SECONDS));
    assertEquals(Status.Code.CANCELLED, Status.fromThrowable(e.getCause()).getCode());
  }

  @Test
  void aDeadlineReachesTheHostThroughACallback() {
    LabReply reply = LabSpoke.newBlockingStub(lab()).withDeadlineAfter(5, TimeUnit.SECONDS)
        .withHeader("x-trace", "through")
        .askHost(text("cb"));
    assertEquals("host saw cb", reply.getText());
    assertTrue(reply.getDeadlineMillis() > 3000 && reply.getDeadlineMillis() <= 5000,
        "the host's call inherits the deadline of the call it serves: " + reply.getDeadlineMillis());
  }

  @Test
  void aCancelReachesTheHostThroughACallbackInFlight() throws Exception {
    String id = UUID.randomUUID().toString();
    CompletableFuture<LabReply> call = LabSpoke.newStub(lab()).withDeadlineAfter(30, TimeUnit.SECONDS)
        .askHost(LabRequest.newBuilder().setText(id).setHang(true).build());
    probe().started(id).get(30, TimeUnit.SECONDS); // the Lab is blocked in its call to the host
    call.cancel(true);
    Status s = probe().cancellation(id).get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.CANCELLED, s.getCode(), s.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // Flow control and large messages

  @Test
  void aServerThatHonoursIsReadyWaitsForASlowClient() throws Exception {
    int count = 200;
    List<LabReply> replies = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    AtomicReference<ClientCallStreamObserver<LabRequest>> call = new AtomicReference<>();
    async().count(LabRequest.newBuilder().setCount(count).setReplySize(64 << 10).setHonourReady(true).build(),
        new ClientResponseObserver<LabRequest, LabReply>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<LabRequest> requestStream) {
            requestStream.disableAutoRequestWithInitial(1);
            call.set(requestStream);
          }

          @Override
          public void onNext(LabReply value) {
            replies.add(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    Thread.sleep(300); // the passage of time: the server fills what it may send, then must wait
    call.get().request(count);
    done.get(30, TimeUnit.SECONDS);
    assertEquals(count, replies.size());
    assertTrue(replies.get(count - 1).getNotReadySeen() > 0, "the server never found the call not ready");
  }

  @Test
  void messagesUpToTheConfiguredSizeGoBothWays() {
    byte[] big = new byte[MAX_MESSAGE - 1024];
    new Random(42).nextBytes(big);
    LabReply reply = blocking().echo(LabRequest.newBuilder().setData(ByteString.copyFrom(big)).build());
    assertArrayEquals(big, reply.getData().toByteArray());
    LabReply large = blocking().echo(LabRequest.newBuilder().setReplySize(MAX_MESSAGE - 1024).build());
    assertEquals(MAX_MESSAGE - 1024, large.getData().size());
  }

  @Test
  void aMessageOverTheConfiguredSizeFailsThatCallOnly() {
    StatusRuntimeException up = assertThrows(StatusRuntimeException.class,
        () -> blocking().echo(LabRequest.newBuilder().setData(ByteString.copyFrom(new byte[MAX_MESSAGE + 1024])).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, up.getStatus().getCode(), up.getStatus().toString());
    StatusRuntimeException down = assertThrows(StatusRuntimeException.class,
        () -> blocking().echo(LabRequest.newBuilder().setReplySize(MAX_MESSAGE + 1024).build()));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, down.getStatus().getCode(), down.getStatus().toString());
    assertEquals("after", blocking().echo(text("after")).getText(), "the channel still works");
  }

  @Test
  void largeHeadersPass() {
    String value = "v".repeat(20_000);
    LabReply reply = blocking().withHeader("x-large", value).echo(text("h"));
    assertEquals(value, reply.getHeadersMap().get("x-large"));
  }

  // ---------------------------------------------------------------------------------------------

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(null);
      }
    };
  }

  private static StreamObserver<LabReply> collect(List<LabReply> replies, CompletableFuture<Void> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(LabReply value) {
        replies.add(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    };
  }
}
