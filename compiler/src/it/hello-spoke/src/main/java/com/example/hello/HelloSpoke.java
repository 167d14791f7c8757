package com.example.hello;

import dev.spoke.Channel;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.transport.InMemoryTransport;

/** The README's call: serve Greeter on one end of an in-memory transport, call it from the other. */
public final class HelloSpoke {

  public static void main(String[] args) {
    System.out.println(greet(args.length > 0 ? args[0] : "Ada"));
  }

  static String greet(String name) {
    // The README's lines,
    InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
    WorkerPool pool = WorkerPool.builder("hello").build();
    Connection.builder(pair[1]).registry(new ServiceRegistry().addService(new Greeter())).executor(pool).build().start();
    Channel channel = Connection.builder(pair[0]).executor(pool).build().start().channel();
    HelloReply reply = GreeterSpoke.newBlockingStub(channel).sayHello(HelloRequest.newBuilder().setName(name).build());
    // and the clean-up a program does before it goes on.
    pair[0].close(Status.UNAVAILABLE.withDescription("done"));
    pool.close();
    return reply.getMessage();
  }
}
