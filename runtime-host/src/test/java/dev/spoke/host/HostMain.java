package dev.spoke.host;

import dev.spoke.shm.HubConfig;
import java.nio.file.Path;

/** A host in its own process, for the test that kills the host: launches two plugins and waits. */
public final class HostMain {
  public static void main(String[] args) throws Exception {
    TestCallbacks callbacks = new TestCallbacks();
    SpokeHost host = SpokeHost.builder()
        .hubConfig(HubConfig.builder().directory(Path.of(args[0])).build())
        .addService(callbacks)
        .build();
    Plugin a = host.launch(PluginSpec.java("orphan-a", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    Plugin b = host.launch(PluginSpec.java("orphan-b", EchoPlugin.class).jvmArgs("-Xmx128m").build());
    System.out.println("PLUGINS " + a.pid() + " " + b.pid() + " " + host.hubPath());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
