package dev.spoke.grpc;

import dev.spoke.Channel;
import dev.spoke.grpc.lab.LabPlugin;
import dev.spoke.grpc.lab.ProbeService;
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginAssertionCheck;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.HubConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Lab's contract over the hub: a plugin process launched by a host, through its Plugin handle. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(PluginAssertionCheck.class) // the lab plugin's failed assertions of Spoke's code fail the tests
class LabOverHubTest extends LabContract {

  private final ProbeService probe = new ProbeService();
  private Path hubs;
  private SpokeHost host;
  private Plugin lab;

  @BeforeAll
  void launch() throws Exception {
    hubs = Files.createTempDirectory("spoke-lab-hub");
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(hubs).build()).addService(probe).build();
    lab = host.launch(PluginSpec.java("lab", LabPlugin.class).jvmArgs("-Xmx256m", "-XX:+UseSerialGC").build());
  }

  @AfterAll
  void close() throws Exception {
    if (host != null) {
      host.close();
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
