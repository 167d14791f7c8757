package dev.spoke.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spoke.Channel;
import dev.spoke.grpc.lab.LabPlugin;
import dev.spoke.grpc.lab.ProbeService;
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.PluginState;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.HubConfig;
import dev.spoke.testing.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The Lab's contract over gRPC, the way a host uses a remote plugin: the same plugin main as over the
 * hub, started as a separate process listening on loopback; the host connects to it by address
 * ({@code PluginSpec.remote}) and calls it through the same Plugin handle, and serves its own services
 * over gRPC for the plugin's callbacks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabOverGrpcTest extends LabContract {

  private final ProbeService probe = new ProbeService();
  private Path hubs;
  private SpokeHost host;
  private GrpcServer hostServer;
  private ChildJvm child;
  private Plugin lab;

  @BeforeAll
  void start() throws Exception {
    hubs = Files.createTempDirectory("spoke-lab-grpc");
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(hubs).build()).addService(probe).build();
    hostServer = GrpcServer.builder("127.0.0.1:0").registry(host.hostServices()).start();
    String address = Loopback.freeAddress();
    child = ChildJvm.start(LabPlugin.class, "--listen=" + address, "--host-target=" + hostServer.address(),
        "--plugin-name=lab");
    lab = host.launch(PluginSpec.remote("lab", address).build());
    assertEquals(PluginState.READY, lab.state());
  }

  @AfterAll
  void stop() throws Exception {
    if (host != null) {
      host.close();
    }
    if (hostServer != null) {
      hostServer.close();
    }
    if (child != null) {
      child.close();
    }
    Files.deleteIfExists(hubs);
  }

  @Override
  Channel lab() {
    return lab.channel();
  }

  @Override
  ProbeService probe() {
    return probe;
  }
}
