package com.example.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.MethodDescriptor;
import dev.spoke.inprocess.InProcessServer;
import dev.spoke.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HelloSpokeTest {

  @Test
  void theGeneratedStubCallsTheServiceOverTheInMemoryTransport() {
    assertEquals("Hello, Ada", HelloSpoke.greet("Ada"));
  }

  @Test
  void grpcJavasAsyncAndFutureShapesAndAnInterceptorWork() throws Exception {
    try (InProcessServer server = InProcessServer.start(new Greeter())) {
      CompletableFuture<HelloReply> observed = new CompletableFuture<>();
      GreeterSpoke.newStub(server.channel()).sayHello(HelloRequest.newBuilder().setName("Ada").build(),
          new StreamObserver<>() {
            @Override
            public void onNext(HelloReply value) {
              observed.complete(value);
            }

            @Override
            public void onError(Throwable t) {
              observed.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      assertEquals("Hello, Ada", observed.get(30, TimeUnit.SECONDS).getMessage());

      AtomicInteger calls = new AtomicInteger();
      ClientInterceptor counting = new ClientInterceptor() {
        @Override
        public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
            MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
          calls.incrementAndGet();
          return next.newCall(method, options);
        }
      };
      HelloReply reply = GreeterSpoke.newFutureStub(server.channel()).withInterceptors(counting)
          .sayHello(HelloRequest.newBuilder().setName("Grace").build()).get(30, TimeUnit.SECONDS);
      assertEquals("Hello, Grace", reply.getMessage());
      assertEquals(1, calls.get());
    }
  }

  @Test
  void theGeneratedDescriptorsDescribeTheService() {
    assertEquals("hello.Greeter/SayHello", GreeterSpoke.getSayHelloMethod().getFullMethodName());
    Descriptors.ServiceDescriptor schema =
        (Descriptors.ServiceDescriptor) GreeterSpoke.getServiceDescriptor().getSchemaDescriptor();
    assertNotNull(schema.findMethodByName("SayHello"));
  }
}
