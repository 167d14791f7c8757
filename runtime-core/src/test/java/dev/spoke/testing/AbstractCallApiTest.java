package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.spoke.CallOptions;
import dev.spoke.CancellableContext;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.ClientInterceptors;
import dev.spoke.Context;
import dev.spoke.ContextHeader;
import dev.spoke.ForwardingClientCall;
import dev.spoke.ForwardingClientCallListener;
import dev.spoke.ForwardingServerCall;
import dev.spoke.ForwardingServerCallListener;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerCall;
import dev.spoke.ServerCallHandler;
import dev.spoke.ServerInterceptor;
import dev.spoke.ServerInterceptors;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.protobuf.ProtoMarshallers;
import dev.spoke.protobuf.StatusProto;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.MetadataInterceptors;
import dev.spoke.stub.ServerCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What gRPC-java code uses every day, over any transport (the in-memory pair here, the hub in
 * transport-shm): typed and binary metadata, response headers, interceptors on both sides, contexts,
 * rich errors, and the errors bad input gets.
 */
public abstract class AbstractCallApiTest {

  protected static final long WAIT_SECONDS = 30;

  /** Creates a fresh pair of transports for one test. */
  protected abstract AbstractCallLayerTest.TransportPair newTransportPair() throws Exception;

  protected TestService service;
  protected ServiceRegistry registry;
  protected Connection client;
  protected Connection server;
  protected Channel channel;
  private WorkerPool clientPool;
  private WorkerPool serverPool;
  private AbstractCallLayerTest.TransportPair pair;

  @BeforeEach
  void setUpConnections() throws Exception {
    service = new TestService();
    pair = newTransportPair();
    clientPool = WorkerPool.builder("api-client").build();
    serverPool = WorkerPool.builder("api-server").build();
    registry = new ServiceRegistry().addService(service.definition());
    server = Connection.builder(pair.server).registry(registry).executor(serverPool).localName("api-server").build();
    client = Connection.builder(pair.client).executor(clientPool).localName("api-client").build();
    server.start();
    client.start();
    channel = client.channel();
  }

  @AfterEach
  void tearDownConnections() throws Exception {
    try {
      assertTrue(service.handlerErrors.isEmpty(), () -> "handler errors: " + service.handlerErrors);
    } finally {
      client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      clientPool.shutdown();
      serverPool.shutdown();
      pair.cleanup.close();
    }
  }

  static TestRequest request(long id) {
    return TestRequest.newBuilder().setId(id).build();
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    try {
      return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    }
  }

  static StatusRuntimeException failure(CompletableFuture<?> f) throws Exception {
    try {
      f.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      assertTrue(e.getCause() instanceof StatusRuntimeException, "not a status: " + e.getCause());
      return (StatusRuntimeException) e.getCause();
    }
    throw new AssertionError("the call succeeded");
  }

  /** Records a call's events in order, as "headers", "message", "close:CODE". */
  static final class Events<T> extends ClientCall.Listener<T> {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    final List<T> messages = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    volatile Metadata headers;
    volatile Metadata trailers;

    @Override
    public void onHeaders(Metadata h) {
      headers = h;
      events.add("headers");
    }

    @Override
    public void onMessage(T message) {
      messages.add(message);
      events.add("message");
    }

    @Override
    public void onClose(Status status, Metadata t) {
      trailers = t;
      events.add("close:" + status.getCode());
      closed.complete(status);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // gRPC's interop case custom_metadata

  @Test
  void customMetadataInteropCaseUnaryAndFullDuplex() throws Exception {
    registry.intercept(new EchoMetadataInterceptor());
    Metadata extra = new Metadata();
    extra.put(EchoMetadataInterceptor.ECHO_INITIAL, EchoMetadataInterceptor.INITIAL_VALUE);
    extra.put(EchoMetadataInterceptor.ECHO_TRAILING, EchoMetadataInterceptor.TRAILING_VALUE);
    AtomicReference<Metadata> headers = new AtomicReference<>();
    AtomicReference<Metadata> trailers = new AtomicReference<>();
    Channel intercepted = ClientInterceptors.intercept(channel,
        MetadataInterceptors.newAttachHeadersInterceptor(extra),
        MetadataInterceptors.newCaptureMetadataInterceptor(headers, trailers));

    // UnaryCall: a 271828-byte request, a 314159-byte response.
    TestRequest big = TestRequest.newBuilder().setId(1).setPayload(TestService.pattern(1, 271_828))
        .setResponseSize(314_159).build();
    TestResponse unary = ClientCalls.blockingUnaryCall(intercepted, TestService.UNARY, CallOptions.DEFAULT, big);
    assertEquals(314_159, unary.getPayload().size());
    assertEquals(EchoMetadataInterceptor.INITIAL_VALUE, headers.get().get(EchoMetadataInterceptor.ECHO_INITIAL));
    assertArrayEquals(EchoMetadataInterceptor.TRAILING_VALUE, trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILING));

    // FullDuplexCall: one request, one 314159-byte response.
    headers.set(null);
    trailers.set(null);
    Recorder<TestResponse> recorder = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncBidiStreamingCall(intercepted.newCall(TestService.BIDI, CallOptions.DEFAULT), recorder);
    requests.onNext(TestRequest.newBuilder().setId(2).setResponseSize(314_159).build());
    requests.onCompleted();
    assertEquals(314_159, await(recorder.done).get(0).getPayload().size());
    assertEquals(EchoMetadataInterceptor.INITIAL_VALUE, headers.get().get(EchoMetadataInterceptor.ECHO_INITIAL));
    assertArrayEquals(EchoMetadataInterceptor.TRAILING_VALUE, trailers.get().get(EchoMetadataInterceptor.ECHO_TRAILING));
  }

  @Test
  void binaryValuesTravelByteExactAndKeysAreLowerCased() throws Exception {
    byte[] every = new byte[256];
    for (int i = 0; i < every.length; i++) {
      every[i] = (byte) i;
    }
    Metadata.Key<byte[]> blob = Metadata.Key.of("X-Blob-Bin", Metadata.BINARY_BYTE_MARSHALLER);
    assertEquals("x-blob-bin", blob.name());
    AtomicReference<Metadata> seen = new AtomicReference<>();
    registry.intercept(new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        seen.set(headers);
        return next.startCall(call, headers);
      }
    });
    Metadata headers = new Metadata();
    headers.put(blob, every);
    headers.put("X-Upper", "Value With Spaces");
    Events<TestResponse> events = new Events<>();
    ClientCall<TestRequest, TestResponse> call = channel.newCall(TestService.UNARY, CallOptions.DEFAULT);
    call.start(events, headers);
    call.request(1);
    call.sendMessage(request(1));
    call.halfClose();
    assertEquals(Status.Code.OK, await(events.closed).getCode());
    assertArrayEquals(every, seen.get().get(blob));
    assertEquals("Value With Spaces", seen.get().get("x-upper"));
    assertEquals("Value With Spaces", seen.get().get("X-UPPER"));
    assertTrue(seen.get().keys().contains("x-blob-bin"));
  }

  // ---------------------------------------------------------------------------------------------
  // Interceptors

  @Test
  void interceptorChainsOnBothSidesAddAHeaderReadItOnTheOtherSideAndMeasureCalls() throws Exception {
    Metadata.Key<String> client = Metadata.Key.of("x-client", Metadata.ASCII_STRING_MARSHALLER);
    Metadata.Key<String> echoed = Metadata.Key.of("x-seen-client", Metadata.ASCII_STRING_MARSHALLER);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger clientStarted = new AtomicInteger();
    AtomicInteger clientClosed = new AtomicInteger();
    AtomicInteger serverStarted = new AtomicInteger();
    AtomicInteger serverCompleted = new AtomicInteger();
    List<String> responseHeaders = Collections.synchronizedList(new ArrayList<>());

    // Server: one interceptor reads the client's header and answers with a response header; one
    // measures. The registry-wide one sees each call before the per-service one.
    ServerInterceptor reads = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        order.add("server-reads");
        String value = headers.get(client);
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          private boolean sent;

          @Override
          public void sendMessage(RespT message) {
            if (!sent) {
              sent = true;
              Metadata h = new Metadata();
              h.put(echoed, String.valueOf(value));
              sendHeaders(h);
            }
            super.sendMessage(message);
          }
        }, headers);
      }
    };
    ServerInterceptor measures = new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        order.add("server-measures");
        serverStarted.incrementAndGet();
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
          @Override
          public void onComplete() {
            serverCompleted.incrementAndGet();
            super.onComplete();
          }
        };
      }
    };
    registry.removeService(TestService.SERVICE_NAME);
    registry.addService(ServerInterceptors.intercept(service.definition(), reads));
    registry.intercept(measures);

    // Client: one adds the header, one measures and reads the response headers. The last given is
    // the first to see a call.
    ClientInterceptor adds = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        order.add("client-adds");
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            headers.put(client, "c-" + method.getBareMethodName());
            super.start(listener, headers);
          }
        };
      }
    };
    ClientInterceptor measuresCalls = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        order.add("client-measures");
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<RespT> listener, Metadata headers) {
            clientStarted.incrementAndGet();
            super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
              @Override
              public void onHeaders(Metadata h) {
                responseHeaders.add(h.get(echoed));
                super.onHeaders(h);
              }

              @Override
              public void onClose(Status status, Metadata trailers) {
                clientClosed.incrementAndGet();
                super.onClose(status, trailers);
              }
            }, headers);
          }
        };
      }
    };
    Channel intercepted = ClientInterceptors.intercept(channel, adds, measuresCalls);

    TestResponse unary = ClientCalls.blockingUnaryCall(intercepted, TestService.UNARY, CallOptions.DEFAULT, request(1));
    assertEquals(1, unary.getId());
    assertEquals(List.of("client-measures", "client-adds", "server-measures", "server-reads"), order);

    Recorder<TestResponse> stream = new Recorder<>();
    ClientCalls.asyncServerStreamingCall(intercepted.newCall(TestService.SERVER_STREAM, CallOptions.DEFAULT),
        TestRequest.newBuilder().setId(2).setResponseCount(3).build(), stream);
    assertEquals(3, await(stream.done).size());

    Recorder<TestResponse> bidi = new Recorder<>();
    StreamObserver<TestRequest> requests =
        ClientCalls.asyncBidiStreamingCall(intercepted.newCall(TestService.BIDI, CallOptions.DEFAULT), bidi);
    requests.onNext(request(3));
    requests.onCompleted();
    assertEquals(1, await(bidi.done).size());

    assertEquals(List.of("c-Unary", "c-ServerStream", "c-Bidi"), responseHeaders);
    assertEquals(3, clientStarted.get());
    assertEquals(3, clientClosed.get());
    assertEquals(3, serverStarted.get());
    Conditions.waitUntil("the server saw every call complete", WAIT_SECONDS, () -> serverCompleted.get() == 3);
  }

  @Test
  void throwingInterceptorsFailTheirCallOnlyWithAClearStatus() throws Exception {
    ClientInterceptor throwsOnCall = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        throw new IllegalStateException("no calls today");
      }
    };
    StatusRuntimeException c = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(channel, throwsOnCall), TestService.UNARY, CallOptions.DEFAULT, request(1)));
    assertEquals(Status.Code.UNKNOWN, c.getStatus().getCode());
    assertTrue(c.getStatus().getDescription().contains("client interceptor") && c.getStatus().getDescription()
        .contains("no calls today"), c.getStatus().getDescription());
    ClientInterceptor refuses = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        throw Status.PERMISSION_DENIED.withDescription("not you").asRuntimeException();
      }
    };
    StatusRuntimeException denied = failure(ClientCalls.futureUnaryCall(
        ClientInterceptors.intercept(channel, refuses).newCall(TestService.UNARY, CallOptions.DEFAULT), request(1)));
    assertEquals(Status.PERMISSION_DENIED.withDescription("not you"), denied.getStatus());

    // Server side: one throws when the call starts, one from its listener, each for one method.
    registry.intercept(new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        if (call.getMethodDescriptor() == TestService.SERVER_STREAM) {
          throw new IllegalArgumentException("interceptor refuses streams");
        }
        ServerCall.Listener<ReqT> listener = next.startCall(call, headers);
        if (call.getMethodDescriptor() != TestService.CLIENT_STREAM) {
          return listener;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
          @Override
          public void onHalfClose() {
            throw new IllegalStateException("listener refuses half-close");
          }
        };
      }
    });
    Recorder<TestResponse> stream = new Recorder<>();
    ClientCalls.asyncServerStreamingCall(channel.newCall(TestService.SERVER_STREAM, CallOptions.DEFAULT), request(2), stream);
    StatusRuntimeException s = failure(stream.done);
    assertEquals(Status.Code.UNKNOWN, s.getStatus().getCode());
    assertTrue(s.getStatus().getDescription().contains("interceptor refuses streams"), s.getStatus().getDescription());
    Recorder<TestResponse> clientStream = new Recorder<>();
    StreamObserver<TestRequest> requests = ClientCalls.asyncClientStreamingCall(
        channel.newCall(TestService.CLIENT_STREAM, CallOptions.DEFAULT), clientStream);
    requests.onNext(request(3));
    requests.onCompleted();
    StatusRuntimeException l = failure(clientStream.done);
    assertEquals(Status.Code.UNKNOWN, l.getStatus().getCode());
    assertTrue(l.getStatus().getDescription().contains("listener refuses half-close"), l.getStatus().getDescription());

    // Everything else goes on.
    assertEquals(4, ClientCalls.blockingUnaryCall(channel, TestService.UNARY, CallOptions.DEFAULT, request(4)).getId());
  }

  // ---------------------------------------------------------------------------------------------
  // Response headers

  private static final MethodDescriptor<TestRequest, TestResponse> HEADERS_UNARY = method(MethodDescriptor.MethodType.UNARY, "Unary");
  private static final MethodDescriptor<TestRequest, TestResponse> HEADERS_STREAM =
      method(MethodDescriptor.MethodType.SERVER_STREAMING, "Stream");

  private static MethodDescriptor<TestRequest, TestResponse> method(MethodDescriptor.MethodType type, String name) {
    return MethodDescriptor.<TestRequest, TestResponse>newBuilder(
            ProtoMarshallers.marshaller(TestRequest.getDefaultInstance()),
            ProtoMarshallers.marshaller(TestResponse.getDefaultInstance()))
        .setType(type)
        .setFullMethodName("spoke.test.Headers/" + name)
        .build();
  }

  /**
   * A service whose handlers use the raw ServerCall: the request's id says what to do with headers:
   * 0 none, 1 once before the messages, 2 twice, 3 after the first message, 4 once and then fail
   * without a message, 5 trailers larger than the metadata limit.
   */
  private static ServerServiceDefinition headersService() {
    ServerCallHandler<TestRequest, TestResponse> handler = (call, requestHeaders) -> {
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(TestRequest request) {
          Metadata h = new Metadata();
          h.put("x-step", "one");
          int mode = (int) request.getId();
          if (mode == 1 || mode == 2 || mode == 4) {
            call.sendHeaders(h);
          }
          if (mode == 2) {
            call.sendHeaders(h);
          }
          if (mode == 4) {
            call.close(Status.NOT_FOUND.withDescription("nothing here"), null);
            return;
          }
          if (mode == 5) {
            Metadata trailers = new Metadata();
            for (int i = 0; i < 20; i++) {
              trailers.put("x-big-" + i, "v".repeat(4000));
            }
            call.close(Status.OK, trailers); // not a valid close: the unary response is missing too
            return;
          }
          int n = call.getMethodDescriptor().getType() == MethodDescriptor.MethodType.UNARY ? 1 : 3;
          for (int i = 0; i < n; i++) {
            call.sendMessage(TestResponse.newBuilder().setId(request.getId()).setIndex(i).build());
            if (mode == 3 && i == 0) {
              call.sendHeaders(h);
            }
          }
          call.close(Status.OK, null);
        }
      };
    };
    return ServerServiceDefinition.builder("spoke.test.Headers")
        .addMethod(HEADERS_UNARY, handler)
        .addMethod(HEADERS_STREAM, handler)
        .build();
  }

  private Events<TestResponse> call(MethodDescriptor<TestRequest, TestResponse> method, long mode) throws Exception {
    Events<TestResponse> events = new Events<>();
    ClientCall<TestRequest, TestResponse> call = channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(
        WAIT_SECONDS, TimeUnit.SECONDS));
    call.start(events, null);
    call.request(10);
    call.sendMessage(request(mode));
    call.halfClose();
    await(events.closed);
    return events;
  }

  @Test
  void responseHeadersComeOnceAndBeforeTheFirstMessageOrWithTheTrailers() throws Exception {
    registry.addService(headersService());
    for (MethodDescriptor<TestRequest, TestResponse> m : List.of(HEADERS_UNARY, HEADERS_STREAM)) {
      Events<TestResponse> none = call(m, 0);
      assertFalse(none.events.contains("headers"), m + ": " + none.events);
      assertNull(none.headers);

      Events<TestResponse> once = call(m, 1);
      assertEquals("headers", once.events.get(0), m + ": " + once.events);
      assertEquals("one", once.headers.get("x-step"));
      assertEquals(1, Collections.frequency(once.events, "headers"));
      assertEquals("close:OK", once.events.get(once.events.size() - 1));

      // Headers sent and then a failure without any message: they come with the trailers.
      Events<TestResponse> failed = call(m, 4);
      assertEquals(List.of("headers", "close:NOT_FOUND"), failed.events, m.toString());
      assertEquals("one", failed.headers.get("x-step"));
    }
  }

  @Test
  void headersSentTwiceOrAfterAMessageFailThatCallWithAClearError() throws Exception {
    registry.addService(headersService());
    for (MethodDescriptor<TestRequest, TestResponse> m : List.of(HEADERS_UNARY, HEADERS_STREAM)) {
      Events<TestResponse> twice = call(m, 2);
      assertEquals(Status.Code.UNKNOWN, twice.closed.get().getCode(), m + ": " + twice.events);
      assertTrue(twice.closed.get().getDescription().contains("sendHeaders called twice"),
          twice.closed.get().getDescription());

      Events<TestResponse> late = call(m, 3);
      assertEquals(Status.Code.UNKNOWN, late.closed.get().getCode(), m + ": " + late.events);
      assertTrue(late.closed.get().getDescription().contains("after the first message"),
          late.closed.get().getDescription());
      assertEquals(Status.Code.OK, call(m, 1).closed.get().getCode());
    }
  }

  @Test
  void trailersTooLargeForTheLimitEndTheCallAtOnceSayingSo() throws Exception {
    registry.addService(headersService());
    long start = System.nanoTime();
    Events<TestResponse> big = call(HEADERS_STREAM, 5);
    Status s = big.closed.get();
    assertEquals(Status.Code.INTERNAL, s.getCode(), big.events.toString());
    assertTrue(s.getDescription().contains("bytes encoded; the limit is " + Metadata.MAX_ENCODED_BYTES), s.getDescription());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < WAIT_SECONDS / 2, "the call waited for its deadline");
    assertEquals(Status.Code.OK, call(HEADERS_STREAM, 1).closed.get().getCode());
  }

  // ---------------------------------------------------------------------------------------------
  // Bad metadata

  @Test
  void badKeysAndValuesAreRefusedWithErrorsThatSayWhatIsWrong() throws Exception {
    Metadata m = new Metadata();
    IllegalArgumentException space = assertThrows(IllegalArgumentException.class, () -> m.put("bad key", "v"));
    assertTrue(space.getMessage().contains("'bad key'") && space.getMessage().contains("at 3"), space.getMessage());
    IllegalArgumentException newline = assertThrows(IllegalArgumentException.class, () -> m.put("k", "a\nb"));
    assertTrue(newline.getMessage().contains("U+000A at 1") && newline.getMessage().contains("'k'"), newline.getMessage());
    IllegalArgumentException accent = assertThrows(IllegalArgumentException.class, () -> m.put("k", "café"));
    assertTrue(accent.getMessage().contains("-bin"), accent.getMessage());
    assertThrows(IllegalArgumentException.class, () -> m.put("k-bin", "text"));
    assertThrows(IllegalArgumentException.class, () -> Metadata.Key.of("k-bin", Metadata.ASCII_STRING_MARSHALLER));
    assertThrows(IllegalArgumentException.class, () -> Metadata.Key.of("k", Metadata.BINARY_BYTE_MARSHALLER));
    assertThrows(IllegalArgumentException.class, () -> Metadata.Key.of("", Metadata.ASCII_STRING_MARSHALLER));
    assertThrows(IllegalArgumentException.class, () -> Metadata.Key.of(":path", Metadata.ASCII_STRING_MARSHALLER));
    assertTrue(m.isEmpty(), "a refused entry was kept: " + m);

    // Headers larger than the limit fail that call, before anything is sent.
    Metadata huge = new Metadata();
    for (int i = 0; i < 20; i++) {
      huge.put("x-huge-" + i, "h".repeat(4000));
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, TestService.UNARY, CallOptions.DEFAULT.withHeaders(huge), request(1)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("request headers take"), e.getStatus().getDescription());
    assertEquals(2, ClientCalls.blockingUnaryCall(channel, TestService.UNARY, CallOptions.DEFAULT, request(2)).getId());
  }

  // ---------------------------------------------------------------------------------------------
  // Contexts

  private static final Context.Key<String> TRACE_ID = Context.key("trace-id");
  private static final MethodDescriptor<TestRequest, TestResponse> CONTEXT_GET =
      MethodDescriptor.<TestRequest, TestResponse>newBuilder(
              ProtoMarshallers.marshaller(TestRequest.getDefaultInstance()),
              ProtoMarshallers.marshaller(TestResponse.getDefaultInstance()))
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("spoke.test.Ctx/Get")
          .build();

  @Test
  void contextValuesFollowACallIntoItsCallbacksAndCurrentIsNeverNull() throws Exception {
    assertSame(Context.ROOT, Context.current());
    CompletableFuture<String> inCallback = new CompletableFuture<>();
    CompletableFuture<Context> onWorker = new CompletableFuture<>();
    Context.current().withValue(TRACE_ID, "t-42").run(() ->
        ClientCalls.asyncUnaryCall(channel.newCall(TestService.UNARY, CallOptions.DEFAULT), request(1),
            new StreamObserver<>() {
              @Override
              public void onNext(TestResponse value) {
                inCallback.complete(TRACE_ID.get());
              }

              @Override
              public void onError(Throwable t) {
                inCallback.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            }));
    assertEquals("t-42", await(inCallback));
    assertNull(TRACE_ID.get(), "the value leaked out of run()");
    clientPool.execute(() -> onWorker.complete(Context.current()));
    assertSame(Context.ROOT, await(onWorker));
  }

  @Test
  void aCancelledContextCancelsTheCallsStartedInItAndItsDeadlineBoundsThem() throws Exception {
    CompletableFuture<TestResponse> held;
    try (CancellableContext scope = Context.current().withCancellation()) {
      held = scope.call(() -> ClientCalls.futureUnaryCall(channel.newCall(TestService.UNARY, CallOptions.DEFAULT),
          TestRequest.newBuilder().setId(1).setBlockUntilCancelled(true).build()));
      assertNotNull(service.blocked.poll(WAIT_SECONDS, TimeUnit.SECONDS), "the call did not reach its handler");
    } // closing cancels
    StatusRuntimeException e = failure(held);
    assertEquals(Status.Code.CANCELLED, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains("context"), e.getStatus().getDescription());
    assertEquals(Status.Code.CANCELLED, service.cancellationsSeen.poll(WAIT_SECONDS, TimeUnit.SECONDS).getCode());

    CancellableContext soon = Context.current().withDeadlineAfter(200, TimeUnit.MILLISECONDS);
    CompletableFuture<TestResponse> bounded = soon.call(() -> ClientCalls.futureUnaryCall(
        channel.newCall(TestService.UNARY, CallOptions.DEFAULT), TestRequest.newBuilder().setId(2).setHold(true).build()));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, failure(bounded).getStatus().getCode());
    assertTrue(soon.getDeadline() != null);
    service.held.clear();
  }

  @Test
  void aContextHeaderCarriesAValueToTheHandlerAndBack() throws Exception {
    ContextHeader<String> trace = ContextHeader.of(TRACE_ID, Metadata.Key.of("x-trace-id", Metadata.ASCII_STRING_MARSHALLER));
    registry.addService(ServerServiceDefinition.builder("spoke.test.Ctx")
        .addMethod(CONTEXT_GET, ServerCalls.asyncUnaryCall((TestRequest request, StreamObserver<TestResponse> response) -> {
          response.onNext(TestResponse.newBuilder().setHeaderValue(String.valueOf(TRACE_ID.get())).build());
          response.onCompleted();
        }))
        .build());
    registry.intercept(trace.serverInterceptor());
    Channel traced = ClientInterceptors.intercept(channel, trace.clientInterceptor());
    String seen = Context.current().withValue(TRACE_ID, "abc-1").call(() ->
        ClientCalls.blockingUnaryCall(traced, CONTEXT_GET, CallOptions.DEFAULT, request(1)).getHeaderValue());
    assertEquals("abc-1", seen);
    // Without the value nothing is sent, and the handler sees none.
    assertEquals("null", ClientCalls.blockingUnaryCall(traced, CONTEXT_GET, CallOptions.DEFAULT, request(2)).getHeaderValue());
  }

  // ---------------------------------------------------------------------------------------------
  // Rich errors

  @Test
  void richErrorDetailsTravelInTheStatusDetailsTrailer() throws Exception {
    com.google.rpc.Status rich = com.google.rpc.Status.newBuilder()
        .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
        .setMessage("quota spent")
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("QUOTA").setDomain("spoke.dev").putMetadata("limit", "10").build()))
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(Duration.newBuilder().setSeconds(3)).build()))
        .build();
    registry.addService(ServerServiceDefinition.builder("spoke.test.Ctx")
        .addMethod(CONTEXT_GET, ServerCalls.asyncUnaryCall((TestRequest request, StreamObserver<TestResponse> response) ->
            response.onError(StatusProto.toStatusRuntimeException(rich))))
        .build());
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, CONTEXT_GET, CallOptions.DEFAULT, request(1)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertEquals("quota spent", e.getStatus().getDescription());
    com.google.rpc.Status back = StatusProto.fromThrowable(e);
    assertEquals(rich, back);
    assertEquals("QUOTA", back.getDetails(0).unpack(ErrorInfo.class).getReason());
    assertEquals(3, back.getDetails(1).unpack(RetryInfo.class).getRetryDelay().getSeconds());
    // A status without details still has a rich form: its code and message.
    StatusRuntimeException plain = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
        channel, TestService.UNARY, CallOptions.DEFAULT,
        TestRequest.newBuilder().setFailCode(Status.Code.NOT_FOUND.value()).setFailMessage("gone").build()));
    assertEquals(com.google.rpc.Status.newBuilder().setCode(5).setMessage("gone").build(), StatusProto.fromThrowable(plain));
  }

  /** Collects a stream of values. */
  static class Recorder<T> implements StreamObserver<T> {
    final List<T> values = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<List<T>> done = new CompletableFuture<>();

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

  static ByteString bytes(int n) {
    return TestService.pattern(n, n);
  }
}
