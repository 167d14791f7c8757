package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The standby's look schedule: backs off over quiet looks, never beyond four limits, and snaps back. */
class LookScheduleTest {

  private static final long LIMIT = 500_000;

  @Test
  void quietLooksStretchTheIntervalUpToFourLimitsAndNoFurther() {
    LookSchedule s = new LookSchedule(LIMIT);
    for (int i = 1; i < LookSchedule.QUIET_LOOKS_PER_STRETCH; i++) {
      assertEquals(LIMIT, s.afterLook(LIMIT, true), "quiet look " + i);
    }
    assertEquals(2 * LIMIT, s.afterLook(LIMIT, true), "the look that completes a run of quiet ones doubles it");
    for (int i = 1; i < LookSchedule.QUIET_LOOKS_PER_STRETCH; i++) {
      assertEquals(2 * LIMIT, s.afterLook(LIMIT, true));
    }
    assertEquals(4 * LIMIT, s.afterLook(LIMIT, true));
    for (int i = 0; i < 100 * LookSchedule.QUIET_LOOKS_PER_STRETCH; i++) {
      assertEquals(4 * LIMIT, s.afterLook(LIMIT, true), "quiet look " + i + " after the cap");
    }
    assertEquals(4 * LIMIT, s.quietInterval());
  }

  @Test
  void aThreadThatStayedInApplicationCodeBringsTheLooksBackToItsDueTime() {
    LookSchedule s = stretched();
    assertEquals(LIMIT / 3, s.afterLook(LIMIT / 3, false), "the next look comes when that thread is due");
    assertEquals(LIMIT, s.afterLook(LIMIT, true), "and quiet looks start again from the limit");
    assertEquals(LIMIT, s.quietInterval());
  }

  @Test
  void aThreadThatStayedThroughACollectionStillEndsTheBackOff() {
    // After a collection no time counts in application code (every thread is due a whole limit later),
    // but a thread that stayed from the look before makes the look not quiet all the same.
    LookSchedule s = stretched();
    assertEquals(LIMIT, s.afterLook(LIMIT, false));
    assertEquals(LIMIT, s.quietInterval());
  }

  @Test
  void aQuietLookNeverWaitsPastADueTime() {
    LookSchedule s = stretched();
    assertEquals(LIMIT / 4, s.afterLook(LIMIT / 4, true));
  }

  @Test
  void aLoopThatSleptStartsAgainFromTheLimit() {
    LookSchedule s = stretched();
    s.reset();
    assertEquals(LIMIT, s.afterLook(LIMIT, true));
  }

  private static LookSchedule stretched() {
    LookSchedule s = new LookSchedule(LIMIT);
    for (int i = 0; i < 10 * LookSchedule.QUIET_LOOKS_PER_STRETCH; i++) {
      s.afterLook(LIMIT, true);
    }
    assertEquals(4 * LIMIT, s.quietInterval());
    return s;
  }
}
