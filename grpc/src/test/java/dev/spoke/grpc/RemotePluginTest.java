package dev.spoke.grpc;

import static dev.spoke.testing.Conditions.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.ClientInterceptor;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServiceConfig;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.grpc.lab.LabPlugin;
import dev.spoke.grpc.lab.LabReply;
import dev.spoke.grpc.lab.LabRequest;
import dev.spoke.grpc.lab.LabSpoke;
import dev.spoke.grpc.lab.ProbeService;
import dev.spoke.host.Plugin;
import dev.spoke.host.PluginLaunchException;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.PluginState;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.HubConfig;
import dev.spoke.testing.ChildJvm;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote plugin in a child JVM listening on loopback, used through the host's Plugin handle: its
 * crash and return, its spec's interceptors and service config, and the same over mutual TLS with a
 * token.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RemotePluginTest {

  @TempDir
  Path dir;

  private final ProbeService probe = new ProbeService();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private SpokeHost host;

  @BeforeEach
  void host() throws Exception {
    host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).addService(probe).build();
  }

  @AfterEach
  void close() throws Exception {
    host.close();
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private ChildJvm startPlugin(String... args) throws Exception {
    ChildJvm child = ChildJvm.start(LabPlugin.class, args);
    resources.add(child);
    return child;
  }

  private static LabSpoke.LabBlockingStub lab(Plugin plugin) {
    return LabSpoke.newBlockingStub(plugin.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void aKilledPluginIsUnavailableNamingItsAddressAndItsHandleReconnectsWhenItIsBack() throws Exception {
    GrpcServer hostServer = GrpcServer.builder("127.0.0.1:0").registry(host.hostServices()).start();
    resources.add(hostServer);
    String address = Loopback.freeAddress();
    ChildJvm first = startPlugin("--listen=" + address, "--host-target=" + hostServer.address(), "--plugin-name=lab");
    Plugin plugin = host.launch(PluginSpec.remote("lab", address).build());
    List<String> changes = new CopyOnWriteArrayList<>();
    plugin.addStateListener((p, from, to) -> changes.add(from + "->" + to));
    assertEquals(PluginState.READY, plugin.state());
    assertEquals(0, plugin.pid(), "the host knows no process of a remote plugin");
    assertEquals("host saw first", lab(plugin).askHost(LabRequest.newBuilder().setText("first").build()).getText());

    first.kill9();
    waitUntil("the plugin is unavailable", 10, () -> plugin.state() == PluginState.UNAVAILABLE);
    StatusRuntimeException down = assertThrows(StatusRuntimeException.class,
        () -> lab(plugin).echo(LabRequest.newBuilder().setText("while down").build()));
    assertEquals(Status.Code.UNAVAILABLE, down.getStatus().getCode());
    assertTrue(down.getStatus().getDescription().contains(address), down.getStatus().toString());
    CompletableFuture<LabReply> waiting = LabSpoke.newStub(plugin.channel()).withWaitForReady()
        .withDeadlineAfter(60, TimeUnit.SECONDS).echo(LabRequest.newBuilder().setText("waited").build());

    ChildJvm second = startPlugin("--listen=" + address, "--host-target=" + hostServer.address(), "--plugin-name=lab");
    waitUntil("the plugin is ready again", 60, () -> plugin.state() == PluginState.READY);
    assertEquals("waited", waiting.get(30, TimeUnit.SECONDS).getText(), "a wait-for-ready call made while it was down");
    assertEquals("host saw again", lab(plugin).askHost(LabRequest.newBuilder().setText("again").build()).getText());
    assertEquals(List.of("READY->UNAVAILABLE", "UNAVAILABLE->READY"), changes);

    plugin.close();
    assertEquals(PluginState.STOPPED, plugin.state());
    assertTrue(second.isAlive(), "letting a remote plugin go leaves it running");
  }

  @Test
  void aRemoteSpecsInterceptorsAndServiceConfigApplyToItsChannel() throws Exception {
    String address = Loopback.freeAddress();
    startPlugin("--listen=" + address, "--plugin-name=lab");
    List<String> seen = new CopyOnWriteArrayList<>();
    ClientInterceptor counting = new ClientInterceptor() {
      @Override
      public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
          MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
        seen.add(method.getFullMethodName());
        return next.newCall(method, options);
      }
    };
    Plugin plugin = host.launch(PluginSpec.remote("lab", address)
        .intercept(counting)
        .serviceConfig(ServiceConfig.builder().timeout("spoke.grpc.lab.Lab/Echo", Duration.ofSeconds(4)).build())
        .build());
    LabReply reply = LabSpoke.newBlockingStub(plugin.channel()).echo(LabRequest.newBuilder().setText("cfg").build());
    assertTrue(reply.getDeadlineMillis() > 2000 && reply.getDeadlineMillis() <= 4000,
        "the service config's timeout reached the plugin: " + reply.getDeadlineMillis());
    assertEquals(List.of("spoke.grpc.lab.Lab/Echo"), seen, "the spec's interceptor saw the call");
  }

  @Test
  void restartReconnectsAtOnce() throws Exception {
    String address = Loopback.freeAddress();
    startPlugin("--listen=" + address, "--plugin-name=lab");
    Plugin plugin = host.launch(PluginSpec.remote("lab", address).build());
    long start = System.nanoTime();
    plugin.restart();
    assertEquals(PluginState.READY, plugin.state());
    assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10);
    StatusRuntimeException noHost = assertThrows(StatusRuntimeException.class,
        () -> lab(plugin).askHost(LabRequest.newBuilder().setText("x").build()));
    assertTrue(noHost.getStatus().getDescription().contains("--host-target"), noHost.getStatus().toString());
  }

  @Test
  void aPluginThatIsNotThereFailsItsLaunchNamingItsAddressAndWhy() throws Exception {
    String nobody = Loopback.freeAddress();
    PluginLaunchException e = assertThrows(PluginLaunchException.class,
        () -> host.launch(PluginSpec.remote("ghost", nobody).readyTimeout(Duration.ofSeconds(2)).build()));
    assertTrue(e.getMessage().contains(nobody), e.getMessage());
    assertTrue(e.getMessage().toLowerCase().contains("refused"), e.getMessage());
    assertTrue(host.plugins().isEmpty());
  }

  /** Launches {@code spec} on a thread of its own; completes with the launch's failure (or fails if it worked). */
  private CompletableFuture<PluginLaunchException> refusal(PluginSpec.Builder spec) {
    return CompletableFuture.supplyAsync(() -> assertThrows(PluginLaunchException.class,
        () -> host.launch(spec.readyTimeout(Duration.ofSeconds(3)).build())));
  }

  @Test
  void overMutualTlsWithATokenCallsAndCallbacksWorkAndOthersAreRefused() throws Exception {
    TestCertificates.Identity hostId = TestCertificates.create(dir, "host");
    TestCertificates.Identity pluginId = TestCertificates.create(dir, "plugin");
    Path trusted = TestCertificates.bundle(dir.resolve("trusted.pem"), hostId, pluginId);
    String token = "s3cret-" + System.nanoTime();

    GrpcServer hostServer = GrpcServer.builder("127.0.0.1:0")
        .registry(host.hostServices())
        .credentials(TlsServerCredentials.newBuilder()
            .keyManager(hostId.certificate.toFile(), hostId.key.toFile())
            .trustManager(trusted.toFile())
            .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
            .build())
        .intercept(BearerToken.required(token))
        .start();
    resources.add(hostServer);
    String address = Loopback.freeAddress();
    startPlugin("--listen=" + address, "--host-target=" + hostServer.address(), "--plugin-name=lab",
        "--tls-cert=" + pluginId.certificate, "--tls-key=" + pluginId.key, "--tls-trust=" + trusted,
        "--remote-token=" + token);

    GrpcConnector tls = GrpcConnector.builder()
        .credentials(TlsChannelCredentials.newBuilder()
            .keyManager(hostId.certificate.toFile(), hostId.key.toFile())
            .trustManager(trusted.toFile())
            .build())
        .callCredentials(BearerToken.credentials(token))
        .build();
    Plugin plugin = host.launch(PluginSpec.remote("lab", address).connector(tls).build());
    assertEquals("over TLS", lab(plugin).echo(LabRequest.newBuilder().setText("over TLS").build()).getText());
    assertEquals("host saw back", lab(plugin).askHost(LabRequest.newBuilder().setText("back").build()).getText(),
        "the plugin's callback went to the host over mutual TLS with the token");

    GrpcConnector wrongToken = GrpcConnector.builder()
        .credentials(TlsChannelCredentials.newBuilder()
            .keyManager(hostId.certificate.toFile(), hostId.key.toFile())
            .trustManager(trusted.toFile())
            .build())
        .callCredentials(BearerToken.credentials("not-" + token))
        .build();
    GrpcConnector noClientCertificate = GrpcConnector.builder()
        .credentials(TlsChannelCredentials.newBuilder().trustManager(trusted.toFile()).build())
        .callCredentials(BearerToken.credentials(token))
        .build();
    // Refused three ways, tried at once: plaintext, a wrong token, no client certificate.
    CompletableFuture<PluginLaunchException> plaintext = refusal(PluginSpec.remote("plaintext", address));
    CompletableFuture<PluginLaunchException> impostor = refusal(PluginSpec.remote("impostor", address).connector(wrongToken));
    CompletableFuture<PluginLaunchException> anonymous =
        refusal(PluginSpec.remote("anonymous", address).connector(noClientCertificate));
    assertTrue(plaintext.get().getMessage().contains(address), plaintext.get().getMessage());
    assertTrue(impostor.get().getMessage().contains("UNAUTHENTICATED"), impostor.get().getMessage());
    assertTrue(anonymous.get().getMessage().contains(address), anonymous.get().getMessage());
    assertFalse(host.plugins().stream().anyMatch(p -> !p.name().equals("lab")), "only the trusted one was added");
  }
}
