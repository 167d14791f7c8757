package com.example.hello;

import dev.spoke.stub.StreamObserver;

/** The README's service implementation. */
public class Greeter extends GreeterSpoke.GreeterImplBase {
  @Override
  public void sayHello(HelloRequest request, StreamObserver<HelloReply> responseObserver) {
    responseObserver.onNext(HelloReply.newBuilder().setMessage("Hello, " + request.getName()).build());
    responseObserver.onCompleted();
  }
}
