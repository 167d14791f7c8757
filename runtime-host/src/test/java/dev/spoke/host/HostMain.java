package dev.spoke.host;

import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A host in its own process, for the tests that kill or suspend the host: launches two plugins, prints
 * their pids, then answers {@code CALL} on stdin by calling both and printing {@code CALLED}.
 * Arguments: the hub directory, and optionally the heartbeat timeout in milliseconds.
 */
public final class HostMain {
  public static void main(String[] args) throws Exception {
    HubConfig.Builder config = HubConfig.builder().directory(Path.of(args[0]));
    if (args.length > 1) {
      config.heartbeatTimeout(Duration.ofMillis(Long.parseLong(args[1])));
    }
    TestCallbacks callbacks = new TestCallbacks();
    SpokeHost host = SpokeHost.builder()
        .hubConfig(config.build())
        .addService(callbacks)
        .build();
    Plugin a = host.launch(PluginSpec.java("orphan-a", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    Plugin b = host.launch(PluginSpec.java("orphan-b", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    System.out.println("PLUGINS " + a.pid() + " " + b.pid() + " " + host.hubPath());
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("CALL")) {
        for (Plugin p : new Plugin[] {a, b}) {
          Payload back = EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(10, TimeUnit.SECONDS)
              .whoami(Payload.getDefaultInstance());
          System.out.println("CALLED " + p.name() + " " + back.getId());
        }
        System.out.flush();
      }
    }
    Thread.sleep(Long.MAX_VALUE);
  }
}
