package dev.spoke.bench;

import dev.spoke.DirectExecutor;
import dev.spoke.ServiceRegistry;
import dev.spoke.bench.proto.EchoSpoke;
import dev.spoke.bench.proto.Payload;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.shm.HubConfig;
import dev.spoke.shm.HubHost;
import dev.spoke.shm.HubPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A whole unary call over the hub with both sides in this JVM: host and peer transports on one hub
 * file, the call layer on each, Echo bound with the direct executor. Run with JMH's {@code -prof gc},
 * its {@code gc.alloc.rate.norm} is every byte both sides allocate per call — the request parsed on the
 * server and the response parsed on the client included (see {@link MarshallingBenchmark#parseBaseline}).
 * Its time is not a latency figure: three threads spin on two CPUs here; the cross-process suites
 * measure latency.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HubCallBenchmark {

  @Param({"16", "1024", "65536"})
  public int size;

  private Path dir;
  private HubHost hub;
  private HubPeer peer;
  private WorkerPool pool;
  private Connection hostSide;
  private Connection peerSide;
  private EchoSpoke.EchoBlockingStub stub;
  private EchoSpoke.EchoBlockingStub stubWithHeader;
  private Payload request;

  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("spoke-bench-hubcall");
    HubConfig config = HubConfig.builder().directory(dir).maxPeers(1).build();
    hub = HubHost.create(config);
    HubHost.Reservation r = hub.reservePeer("bench", true);
    peer = HubPeer.attach(hub.path(), r.peerId(), r.token(), "bench", config);
    pool = WorkerPool.builder("bench").build();
    ServiceRegistry services = new ServiceRegistry();
    services.addService(new EchoServices.Spoke().bindService(), DirectExecutor.INSTANCE);
    peerSide = Connection.builder(peer.transport()).registry(services).executor(pool).localName("plugin").build().start();
    hostSide = Connection.builder(r.transport()).executor(pool).localName("host").build().start();
    stub = EchoSpoke.newBlockingStub(hostSide.channel());
    stubWithHeader = stub.withHeader("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    request = Payloads.ofSize(size);
  }

  @TearDown
  public void tearDown() throws IOException {
    hostSide.shutdownNow(dev.spoke.Status.UNAVAILABLE.withDescription("benchmark over"));
    peerSide.shutdownNow(dev.spoke.Status.UNAVAILABLE.withDescription("benchmark over"));
    peer.close();
    hub.close();
    pool.shutdown();
    Files.deleteIfExists(dir);
  }

  @Benchmark
  public Payload unary() {
    return stub.unary(request);
  }

  /** The same call with a request header, as traced calls carry: metadata and message share one payload. */
  @Benchmark
  public Payload unaryWithHeader() {
    return stubWithHeader.unary(request);
  }
}
