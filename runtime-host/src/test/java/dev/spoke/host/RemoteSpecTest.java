package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.shm.HubConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Specs of plugins that run elsewhere, and a host that has no network transport to reach them. */
class RemoteSpecTest {

  @TempDir
  Path dir;

  @Test
  void aRemoteSpecHasATargetAndNothingOfAProcess() {
    PluginSpec spec = PluginSpec.remote("images", "10.0.0.7:7443").readyTimeout(Duration.ofSeconds(3)).build();
    assertTrue(spec.isRemote());
    assertEquals("10.0.0.7:7443", spec.target());
    assertNull(spec.connector());
    assertEquals("PluginSpec{images, remote 10.0.0.7:7443, ready timeout 3 s, shutdown grace 5 s}", spec.toString());
    assertFalse(PluginSpec.java("local", RemoteSpecTest.class).build().isRemote());

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PluginSpec.remote("images", "h:1")
        .restartPolicy(RestartPolicy.onFailure(3, Duration.ofMillis(100))).build());
    assertTrue(e.getMessage().contains("reconnects by itself"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PluginSpec.remote("images", "h:1").jvmArgs("-Xmx1g").build());
    assertThrows(IllegalArgumentException.class, () -> PluginSpec.remote("images", " ").build());
    assertThrows(IllegalArgumentException.class,
        () -> PluginSpec.java("local", RemoteSpecTest.class).connector((name, target, events) -> null).build());
  }

  @Test
  void withoutAConnectorAHostSaysWhatIsMissing() throws Exception {
    try (SpokeHost host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).build()) {
      PluginLaunchException e = assertThrows(PluginLaunchException.class,
          () -> host.launch(PluginSpec.remote("images", "127.0.0.1:7443").build()));
      assertTrue(e.getMessage().contains("add spoke-grpc"), e.getMessage());
      assertTrue(host.plugins().isEmpty());
    }
  }
}
