package com.example.hello;

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
    InMemoryTransport[] pair = InMemoryTransport.pair("client", "server");
    try (WorkerPool pool = WorkerPool.builder("hello").build()) {
      Connection server = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(new Greeter()))
          .executor(pool).build().start();
      Connection client = Connection.builder(pair[0]).executor(pool).build().start();
      HelloReply reply = GreeterSpoke.newBlockingStub(client.channel())
          .sayHello(HelloRequest.newBuilder().setName(name).build());
      client.shutdownNow(Status.UNAVAILABLE.withDescription("done"));
      server.shutdownNow(Status.UNAVAILABLE.withDescription("done"));
      return reply.getMessage();
    }
  }
}
