package dev.spoke.shm;

/**
 * The transport contract over the hub with receive loops that never park for lack of work
 * ({@link IdleStrategy#BUSY_SPIN}): the role then goes between spinning loops and blocking callers
 * without the parks and doorbells of the default strategy, and nothing may be lost, delivered twice or
 * left for a loop that never looks.
 */
class HubTransportBusySpinContractTest extends HubTransportContractTest {

  @Override
  protected IdleStrategy idleStrategy() {
    return IdleStrategy.BUSY_SPIN;
  }

  @Override
  protected void count(String figure, long n) {
    FIGURES.count("hub, busy-spin: " + figure, n);
  }
}
