package dev.spoke.examples.bridge;

// [START bridge-serve-imports]
import dev.spoke.BindableService;
import dev.spoke.grpc.GrpcServer;
// [END bridge-serve-imports]
// [START bridge-call-imports]
import dev.spoke.examples.site.api.MinifierSpoke;
import dev.spoke.grpc.GrpcChannel;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
// [END bridge-call-imports]
import java.util.concurrent.CountDownLatch;

/**
 * The README's two short gRPC examples, compiled: a Spoke service served to any gRPC client, and a
 * Spoke stub over a gRPC channel.
 */
public final class GrpcBridgeExamples {

  private GrpcBridgeExamples() {}

  /** Serves {@code minifier} (any Spoke service) to gRPC clients on loopback until {@code done}. */
  public static void serve(BindableService minifier, CountDownLatch done) throws Exception {
    // [START bridge-serve]
    try (GrpcServer server = GrpcServer.builder("127.0.0.1:7443")  // listens only where told; plaintext
        .addService(minifier)                                      // unless given .credentials(...)
        .start()) {
      done.await();                                                // serving until then
    }
    // [END bridge-serve]
  }

  /** A Spoke blocking stub of the Minifier service on a gRPC server at 10.0.0.7:7443, over TLS. */
  public static MinifierSpoke.MinifierBlockingStub minifierOverGrpc() {
    // [START bridge-call]
    ManagedChannel grpc = Grpc.newChannelBuilder("10.0.0.7:7443", TlsChannelCredentials.create()).build();
    MinifierSpoke.MinifierBlockingStub minifier = MinifierSpoke.newBlockingStub(GrpcChannel.of(grpc));
    // [END bridge-call]
    return minifier;
  }
}
