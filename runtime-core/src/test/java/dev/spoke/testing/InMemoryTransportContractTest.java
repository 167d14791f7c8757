package dev.spoke.testing;

import dev.spoke.transport.InMemoryTransport;

/** The transport contract over the in-memory pair. */
class InMemoryTransportContractTest extends AbstractTransportContractTest {

  private static final int TIGHT_CAPACITY = 4;

  @Override
  protected Endpoints newEndpoints(Room room) {
    InMemoryTransport[] pair = room == Room.AMPLE
        ? InMemoryTransport.pair("a", "b", 4 << 20, Integer.MAX_VALUE)
        : InMemoryTransport.pair("a", "b", 64 << 10, TIGHT_CAPACITY);
    return new Endpoints(pair[0], pair[1], () -> {});
  }

  @Override
  protected int tightRoom() {
    return TIGHT_CAPACITY;
  }

  @Override
  protected int[] tightClaims() {
    // Each claim takes one frame of the capacity, whatever its size.
    return new int[] {8, 1000, 5000, 64 << 10};
  }

  @Override
  protected boolean callerReceiveSupported() {
    return false;
  }

  /**
   * Room only: the pair holds no payload memory of its own. Once closed, room no longer matters (a
   * frame whose commit races the close may be dropped without giving its unit back).
   */
  @Override
  protected void assertNothingHeld(Endpoints ends) throws Exception {
    if (ends.closed()) {
      return;
    }
    InMemoryTransport a = (InMemoryTransport) ends.a;
    InMemoryTransport b = (InMemoryTransport) ends.b;
    waitUntil("no frame is in flight either way (towards a: " + a.framesInFlight() + ", towards b: "
        + b.framesInFlight() + ")", () -> a.framesInFlight() == 0 && b.framesInFlight() == 0);
  }
}
