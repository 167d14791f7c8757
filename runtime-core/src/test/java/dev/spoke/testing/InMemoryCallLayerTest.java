package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.internal.Connection;
import dev.spoke.transport.InMemoryTransport;
import dev.spoke.transport.Transport;

/** The call-layer contract over the in-memory transport pair. */
class InMemoryCallLayerTest extends AbstractCallLayerTest {

  @Override
  protected TransportPair newTransportPair() {
    InMemoryTransport[] pair = InMemoryTransport.pair("test-client", "test-server");
    return new TransportPair(pair[0], pair[1], () -> {});
  }

  @Override
  protected void assertFramesInFlightBounded(Transport towards) {
    int max = ((InMemoryTransport) towards).maxFramesInFlight();
    // The stream's window, plus a few control frames and the other calls of the test.
    assertTrue(max <= Connection.INITIAL_WINDOW + 8,
        "flow control let " + max + " frames queue in the transport; the window is " + Connection.INITIAL_WINDOW);
  }
}
