package com.example.hello;

import dev.spoke.host.Plugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import java.util.concurrent.TimeUnit;

/** The host: creates the hub, launches the plugin, calls it, and stops it. */
public final class HelloHost {
  public static void main(String[] args) throws Exception {
    try (SpokeHost host = SpokeHost.builder().build()) {      // close() stops the plugins, removes the hub
      Plugin greeter = host.launch(PluginSpec.java("greeter", GreeterPlugin.class).build()); // once READY
      GreeterSpoke.GreeterBlockingStub stub = GreeterSpoke.newBlockingStub(greeter.channel())
          .withWaitForReady()                                  // while the plugin restarts, wait for it
          .withDeadlineAfter(10, TimeUnit.SECONDS);
      String name = args.length > 0 ? args[0] : "Ada";
      HelloReply reply = stub.sayHello(HelloRequest.newBuilder().setName(name).build());
      System.out.println(reply.getMessage() + ", from plugin process " + greeter.pid());
    }
  }
}
