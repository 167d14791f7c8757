package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What a thread holding delivery roles does when it enters application code. */
class InboundDeliveryTest {

  @Test
  void aReceiveThreadKeepsItsRolesInApplicationCodeAndIsWatched() {
    AtomicInteger relinquished = new AtomicInteger();
    InboundDelivery.Role role = relinquished::incrementAndGet;
    InboundDelivery.enter(role);
    try {
      boolean entered = InboundDelivery.enterApplicationCode();
      assertTrue(entered, "a receive thread's code is watched");
      assertTrue(InboundDelivery.holdsAny());
      assertTrue(InboundDelivery.inApplicationCode());
      InboundDelivery.leaveApplicationCode(entered);
      assertEquals(0, relinquished.get());
    } finally {
      InboundDelivery.leave(role);
    }
    assertFalse(InboundDelivery.holdsAny());
  }

  @Test
  void aCallerGivesItsRolesUpBeforeApplicationCodeAndRunsItUnwatched() {
    AtomicInteger relinquished = new AtomicInteger();
    InboundDelivery.Role role = relinquished::incrementAndGet;
    InboundDelivery.enterAsCaller(role);
    boolean entered = InboundDelivery.enterApplicationCode();
    assertFalse(entered, "a caller's inline code is not watched: it holds nothing any more");
    assertEquals(1, relinquished.get());
    assertFalse(InboundDelivery.holdsAny());
    assertFalse(InboundDelivery.inApplicationCode());
    InboundDelivery.leaveApplicationCode(entered);
    InboundDelivery.leave(role); // the caller's own release afterwards: a no-op
    assertEquals(1, relinquished.get());
  }

  @Test
  void theCallerMarkEndsWithTheRolesSoAReceiveRoleTakenLaterIsKept() {
    AtomicInteger relinquished = new AtomicInteger();
    InboundDelivery.Role asCaller = relinquished::incrementAndGet;
    InboundDelivery.enterAsCaller(asCaller);
    InboundDelivery.leave(asCaller);
    InboundDelivery.Role receive = relinquished::incrementAndGet;
    InboundDelivery.enter(receive);
    try {
      boolean entered = InboundDelivery.enterApplicationCode();
      assertTrue(entered);
      InboundDelivery.leaveApplicationCode(entered);
      assertEquals(0, relinquished.get());
    } finally {
      InboundDelivery.leave(receive);
    }
  }
}
