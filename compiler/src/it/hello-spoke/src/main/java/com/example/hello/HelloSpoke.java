package com.example.hello;

import dev.spoke.inprocess.InProcessServer;

/** The README's call: serve Greeter in this process and call it through the generated stub. */
public final class HelloSpoke {

  public static void main(String[] args) {
    System.out.println(greet(args.length > 0 ? args[0] : "Ada"));
  }

  static String greet(String name) {
    try (InProcessServer server = InProcessServer.start(new Greeter())) {
      HelloReply reply = GreeterSpoke.newBlockingStub(server.channel())
          .sayHello(HelloRequest.newBuilder().setName(name).build());
      return reply.getMessage();
    }
  }
}
