package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * A thread can take the batch policy and give it up again without privileges: the standby relies on
 * the way back before it leads a receive loop.
 */
class SchedulingPolicyTest {

  @Test
  void aThreadTakesTheBatchPolicyAndGivesItBack() throws Exception {
    assumeTrue(SchedulingPolicy.AVAILABLE, "no sched_setscheduler here");
    boolean[] seen = new boolean[4];
    Thread t = new Thread(() -> {
      seen[0] = SchedulingPolicy.isBatch();
      seen[1] = SchedulingPolicy.setBatch(true) && SchedulingPolicy.isBatch();
      seen[2] = SchedulingPolicy.setBatch(false);
      seen[3] = SchedulingPolicy.isBatch();
    });
    t.start();
    t.join();
    assertFalse(seen[0], "a new thread starts with the normal policy");
    assertTrue(seen[1], "the thread could not take the batch policy");
    assertTrue(seen[2], "the thread could not go back to the normal policy");
    assertFalse(seen[3], "the thread is still batch after going back");
    assertFalse(SchedulingPolicy.isBatch(), "another thread's policy changed with it");
  }
}
