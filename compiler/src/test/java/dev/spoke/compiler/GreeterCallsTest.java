package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallContext;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.golden.greeter.GreeterSpoke;
import dev.spoke.golden.greeter.GreeterSpoke.GreeterBlockingStub;
import dev.spoke.golden.greeter.GreeterSpoke.GreeterStub;
import dev.spoke.golden.greeter.HelloReply;
import dev.spoke.golden.greeter.HelloRequest;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The generated Greeter stubs and service bases, compiled from greeter.proto by the build's protoc run,
 * calling over runtime-core's in-memory transport: all four call shapes through the async and the
 * blocking stub, and UNIMPLEMENTED from everything a server does not override.
 */
class GreeterCallsTest {

  private static final long WAIT_SECONDS = 30;

  /** Implements every rpc, so each reply says which rpc made it. */
  static final class Greeter extends GreeterSpoke.GreeterImplBase {
    @Override
    public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
      String header = CallContext.current().getHeaders().get("x-greeting");
      String greeting = header != null ? header : "Hello";
      responseObserver.onNext(HelloReply.newBuilder().setMessage(greeting + ", " + request.getName()).build());
      responseObserver.onCompleted();
    }

    @Override
    public void listGreetings(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
      for (int i = 0; i < request.getCount(); i++) {
        responseObserver.onNext(HelloReply.newBuilder().setMessage("Hello #" + i + ", " + request.getName()).setIndex(i).build());
      }
      responseObserver.onCompleted();
    }

    @Override
    public StreamObserver<HelloRequest> greetAll(StreamObserver<HelloReply> responseObserver) {
      return new StreamObserver<>() {
        private final List<String> names = new ArrayList<>();

        @Override
        public void onNext(HelloRequest value) {
          names.add(value.getName());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responseObserver.onNext(HelloReply.newBuilder().setMessage("Hello, " + String.join(" and ", names))
              .setIndex(names.size()).build());
          responseObserver.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<HelloRequest> chat(StreamObserver<HelloReply> responseObserver) {
      return new StreamObserver<>() {
        private int index;

        @Override
        public void onNext(HelloRequest value) {
          responseObserver.onNext(HelloReply.newBuilder().setMessage("Hi " + value.getName()).setIndex(index++).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responseObserver.onCompleted();
        }
      };
    }
  }

  @Test
  void unaryThroughTheAsyncAndTheBlockingStub() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      GreeterStub async = GreeterSpoke.newStub(loopback.channel());
      CompletableFuture<HelloReply> future = async.sayHello(request("Ada"));
      assertEquals("Hello, Ada", future.get(WAIT_SECONDS, TimeUnit.SECONDS).getMessage());

      GreeterBlockingStub blocking = GreeterSpoke.newBlockingStub(loopback.channel());
      assertEquals("Hello, Grace", blocking.sayHello(request("Grace")).getMessage());
    }
  }

  @Test
  void unaryThroughGrpcJavasShapesTheObserverAndTheFutureStub() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      Recorder<HelloReply> recorder = new Recorder<>();
      GreeterSpoke.newStub(loopback.channel()).sayHello(request("Ada"), recorder);
      assertEquals(List.of("Hello, Ada"), recorder.await().stream().map(HelloReply::getMessage).toList());

      CompletableFuture<HelloReply> future = GreeterSpoke.newFutureStub(loopback.channel()).withHeader("x-greeting", "Hei")
          .sayHello(request("Grace"));
      assertEquals("Hei, Grace", future.get(WAIT_SECONDS, TimeUnit.SECONDS).getMessage());

    }
    // A failure reaches the observer's onError.
    try (InMemoryLoopback unimplemented = new InMemoryLoopback(new GreeterSpoke.GreeterImplBase() {})) {
      Recorder<HelloReply> failing = new Recorder<>();
      GreeterSpoke.newStub(unimplemented.channel()).sayHello(request("Ada"), failing);
      ExecutionException e = assertThrows(ExecutionException.class, () -> failing.done.get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(Status.Code.UNIMPLEMENTED, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
    }
  }

  @Test
  void stubsCarryTheirCallOptions() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      // withX returns the generated stub type, so calls chain without casts.
      GreeterBlockingStub blocking = GreeterSpoke.newBlockingStub(loopback.channel())
          .withHeader("x-greeting", "Salut")
          .withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS);
      assertEquals("Salut, Ada", blocking.sayHello(request("Ada")).getMessage());
      GreeterStub async = GreeterSpoke.newStub(loopback.channel()).withHeader("x-greeting", "Hej");
      assertEquals("Hej, Ada", async.sayHello(request("Ada")).get(WAIT_SECONDS, TimeUnit.SECONDS).getMessage());
    }
  }

  @Test
  void serverStreamingThroughTheAsyncAndTheBlockingStub() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      Recorder<HelloReply> recorder = new Recorder<>();
      GreeterSpoke.newStub(loopback.channel()).listGreetings(request("Ada", 3), recorder);
      assertEquals(List.of(0, 1, 2), indexes(recorder.await()));

      List<HelloReply> replies = new ArrayList<>();
      try (BlockingResponseStream<HelloReply> stream =
          GreeterSpoke.newBlockingStub(loopback.channel()).listGreetings(request("Grace", 4))) {
        stream.forEachRemaining(replies::add);
      }
      assertEquals(List.of(0, 1, 2, 3), indexes(replies));
      assertEquals("Hello #3, Grace", replies.get(3).getMessage());
    }
  }

  @Test
  void clientStreaming() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      Recorder<HelloReply> recorder = new Recorder<>();
      StreamObserver<HelloRequest> requests = GreeterSpoke.newStub(loopback.channel()).greetAll(recorder);
      requests.onNext(request("Ada"));
      requests.onNext(request("Grace"));
      requests.onNext(request("Barbara"));
      requests.onCompleted();
      List<HelloReply> replies = recorder.await();
      assertEquals(1, replies.size());
      assertEquals("Hello, Ada and Grace and Barbara", replies.get(0).getMessage());
      assertEquals(3, replies.get(0).getIndex());
    }
  }

  @Test
  void bidiStreaming() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Greeter())) {
      Recorder<HelloReply> recorder = new Recorder<>();
      StreamObserver<HelloRequest> requests = GreeterSpoke.newStub(loopback.channel()).chat(recorder);
      for (String name : List.of("Ada", "Grace")) {
        requests.onNext(request(name));
      }
      requests.onCompleted();
      List<HelloReply> replies = recorder.await();
      assertEquals(List.of("Hi Ada", "Hi Grace"), replies.stream().map(HelloReply::getMessage).toList());
      assertEquals(List.of(0, 1), indexes(replies));
    }
  }

  @Test
  void anImplBaseAnswersUnimplementedForEveryRpcItDoesNotOverride() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new GreeterSpoke.GreeterImplBase() {})) {
      assertUnimplementedInEveryShape(loopback);
    }
  }

  @Test
  void anAsyncServiceAnswersUnimplementedForEveryRpcItDoesNotOverride() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(GreeterSpoke.bindService(new GreeterSpoke.AsyncService() {}))) {
      assertUnimplementedInEveryShape(loopback);
    }
  }

  @Test
  void anAsyncServiceServesWhatItOverrides() throws Exception {
    GreeterSpoke.AsyncService onlyHello = new GreeterSpoke.AsyncService() {
      @Override
      public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
        responseObserver.onNext(HelloReply.newBuilder().setMessage("only hello").build());
        responseObserver.onCompleted();
      }
    };
    try (InMemoryLoopback loopback = new InMemoryLoopback(GreeterSpoke.bindService(onlyHello))) {
      GreeterBlockingStub blocking = GreeterSpoke.newBlockingStub(loopback.channel());
      assertEquals("only hello", blocking.sayHello(request("x")).getMessage());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> blocking.listGreetings(request("x", 1)).hasNext());
      assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    }
  }

  private static void assertUnimplementedInEveryShape(InMemoryLoopback loopback) throws Exception {
    GreeterStub async = GreeterSpoke.newStub(loopback.channel());
    GreeterBlockingStub blocking = GreeterSpoke.newBlockingStub(loopback.channel());

    assertUnimplemented("SayHello", assertThrows(StatusRuntimeException.class, () -> blocking.sayHello(request("x"))));
    ExecutionException future = assertThrows(ExecutionException.class,
        () -> async.sayHello(request("x")).get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertUnimplemented("SayHello", assertInstanceOf(StatusRuntimeException.class, future.getCause()));

    assertUnimplemented("ListGreetings", assertThrows(StatusRuntimeException.class,
        () -> blocking.listGreetings(request("x", 2)).hasNext()));
    assertUnimplemented("ListGreetings", recordFailure(r -> {
      async.listGreetings(request("x", 2), r);
      return null;
    }));
    assertUnimplemented("GreetAll", recordFailure(async::greetAll));
    assertUnimplemented("Chat", recordFailure(async::chat));
  }

  /** Starts a call with a recorder, completes its request stream if it has one, and returns how it failed. */
  private static StatusRuntimeException recordFailure(
      Function<StreamObserver<HelloReply>, StreamObserver<HelloRequest>> call) throws InterruptedException {
    Recorder<HelloReply> recorder = new Recorder<>();
    StreamObserver<HelloRequest> requests = call.apply(recorder);
    if (requests != null) {
      requests.onNext(request("x"));
      requests.onCompleted();
    }
    ExecutionException e = assertThrows(ExecutionException.class, () -> recorder.done.get(WAIT_SECONDS, TimeUnit.SECONDS));
    assertTrue(recorder.values.isEmpty(), "no response before the failure");
    return assertInstanceOf(StatusRuntimeException.class, e.getCause());
  }

  private static void assertUnimplemented(String rpc, StatusRuntimeException e) {
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), () -> rpc + ": " + e.getStatus());
    assertTrue(e.getStatus().getDescription().contains(GreeterSpoke.SERVICE_NAME + "/" + rpc),
        () -> "the description names the method: " + e.getStatus());
  }

  static HelloRequest request(String name) {
    return HelloRequest.newBuilder().setName(name).build();
  }

  static HelloRequest request(String name, int count) {
    return HelloRequest.newBuilder().setName(name).setCount(count).build();
  }

  private static List<Integer> indexes(List<HelloReply> replies) {
    return replies.stream().map(HelloReply::getIndex).toList();
  }

  /** Collects what a response observer receives. */
  static final class Recorder<T> implements StreamObserver<T> {
    final List<T> values = Collections.synchronizedList(new ArrayList<>());
    final CompletableFuture<List<T>> done = new CompletableFuture<>();

    @Override
    public void onNext(T value) {
      assertFalse(done.isDone(), "onNext after the end of the stream");
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

    List<T> await() throws Exception {
      return done.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
  }
}
