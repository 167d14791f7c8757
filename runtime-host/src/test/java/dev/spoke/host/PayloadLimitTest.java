package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.SizeClass;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A message over the hub's 16 MiB limit is refused saying how to raise it, and doing so works. */
class PayloadLimitTest {

  @TempDir
  Path dir;

  @Test
  void theErrorSaysHowToRaiseTheLimitAndThatRaisesIt() throws Exception {
    Payload big = EchoPlugin.payload(1, ByteString.copyFrom(new byte[17 << 20]));
    try (SpokeHost host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).build()) {
      Plugin p = host.launch(PluginSpec.java("echo", EchoPlugin.class).jvmArgs("-Xmx256m").build());
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(10, TimeUnit.SECONDS).unary(big));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
      String d = e.getStatus().getDescription();
      assertTrue(d.contains("the largest payload plugin 'echo'") && d.contains("can carry is 16777216 bytes; the host allows"
          + " larger payloads with a larger size class, such as SpokeHost.builder().hubConfig(HubConfig.builder()"
          + ".addSizeClass(SizeClass.of(32 << 20, 2)).build())"), d);
    }
    // What the message says to write.
    HubConfig raised = HubConfig.builder().addSizeClass(SizeClass.of(32 << 20, 2)).directory(dir).build();
    try (SpokeHost host = SpokeHost.builder().hubConfig(raised).build()) {
      Plugin p = host.launch(PluginSpec.java("echo", EchoPlugin.class).jvmArgs("-Xmx256m").build());
      Payload back = EchoSpoke.newBlockingStub(p.channel()).withDeadlineAfter(30, TimeUnit.SECONDS).unary(big);
      assertEquals(big.getData().size(), back.getData().size());
    }
  }
}
