package dev.spoke.grpc;

import dev.spoke.Channel;
import dev.spoke.grpc.lab.EchoMetadata;
import dev.spoke.grpc.lab.LabService;
import dev.spoke.grpc.lab.ProbeService;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The Lab's contract over gRPC-java in one process: the Lab served by a {@link GrpcServer} on loopback,
 * called through a {@link GrpcChannel}, calling back a Probe served the same way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabOverGrpcInProcessTest extends LabContract {

  private final ProbeService probe = new ProbeService();
  private GrpcServer hostServer;
  private GrpcServer labServer;
  private ManagedChannel toHost;
  private ManagedChannel toLab;

  @BeforeAll
  void start() throws Exception {
    hostServer = GrpcServer.builder("127.0.0.1:0").addService(probe).start();
    toHost = channel(hostServer.address());
    labServer = GrpcServer.builder("127.0.0.1:0")
        .addService(new LabService(GrpcChannel.of(toHost)))
        .intercept(new EchoMetadata())
        .start();
    toLab = channel(labServer.address());
  }

  static ManagedChannel channel(String address) {
    return NettyChannelBuilder.forTarget(address, InsecureChannelCredentials.create())
        .maxInboundMessageSize(MAX_MESSAGE)
        .maxInboundMetadataSize(GrpcServer.MAX_METADATA_SIZE)
        .build();
  }

  @AfterAll
  void stop() throws Exception {
    for (ManagedChannel c : new ManagedChannel[] {toLab, toHost}) {
      if (c != null) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    for (GrpcServer s : new GrpcServer[] {labServer, hostServer}) {
      if (s != null) {
        s.close();
      }
    }
  }

  @Override
  Channel lab() {
    return GrpcChannel.of(toLab, "the Lab at " + labServer.address());
  }

  @Override
  ProbeService probe() {
    return probe;
  }
}
