package dev.spoke.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerArgumentsTest {

  @Test
  void aPluginOnAHubGetsTheHubsArgumentsAndKeepsItsOwn() {
    PeerArguments a = PeerArguments.parse(new String[] {"--hub-path=/dev/shm/h", "--peer-id", "3", "--plugin-name=x", "mine"},
        Map.of("SPOKE_HUB_TOKEN", "t"));
    assertFalse(a.isRemote());
    assertEquals(Path.of("/dev/shm/h"), a.hubPath());
    assertEquals(3, a.peerId());
    assertEquals("x", a.pluginName());
    assertEquals(List.of("mine"), a.remaining());
    assertNull(a.listen());
  }

  @Test
  void aRemotePluginListensInsteadAndNeedsNoHub() {
    PeerArguments a = PeerArguments.parse(new String[] {"--listen=127.0.0.1:7443", "--host-target", "127.0.0.1:7444",
        "--tls-cert=c.pem", "--tls-key=k.pem", "--tls-trust=ca.pem", "--plugin-name=images", "mine"},
        Map.of("SPOKE_REMOTE_TOKEN", "secret"));
    assertTrue(a.isRemote());
    assertNull(a.hubPath());
    assertEquals("127.0.0.1:7443", a.listen());
    assertEquals("127.0.0.1:7444", a.hostTarget());
    assertEquals(Path.of("c.pem"), a.tlsCertificate());
    assertEquals(Path.of("k.pem"), a.tlsKey());
    assertEquals(Path.of("ca.pem"), a.tlsTrust());
    assertEquals("secret", a.remoteToken());
    assertEquals(List.of("mine"), a.remaining());
    assertFalse(a.toString().contains("secret"), "the token is never shown");
  }

  @Test
  void remoteArgumentsThatDoNotFitAreExplained() {
    assertTrue(message("--listen=127.0.0.1:1", "--hub-path=/h").contains("either listens on an address (remote) or attaches"));
    assertTrue(message("--listen=127.0.0.1:1", "--tls-cert=c.pem").contains("--tls-cert and --tls-key go together"));
    assertTrue(message("--listen=127.0.0.1:1", "--tls-trust=ca.pem").contains("mutual TLS is on top of TLS"));
    assertTrue(message("--hub-path=/h", "--peer-id=1", "--host-target=h:1").contains("--host-target is for a remote plugin"));
    assertTrue(message().contains("give --listen"), message());
  }

  @Test
  void withoutANetworkTransportOnTheClassPathARemotePluginDoesNotStart() {
    PeerArguments a = PeerArguments.parse(new String[] {"--listen=127.0.0.1:0"}, Map.of());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SpokePeer.connect(a));
    assertTrue(e.getMessage().contains("spoke-grpc"), e.getMessage());
  }

  private static String message(String... args) {
    return assertThrows(IllegalArgumentException.class, () -> PeerArguments.parse(args, Map.of("SPOKE_HUB_TOKEN", "t")))
        .getMessage();
  }
}
