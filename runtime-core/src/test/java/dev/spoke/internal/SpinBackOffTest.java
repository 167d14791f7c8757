package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The back-off of spinning waits and a spinner's tally of its finds, on a clock of the test's own. */
class SpinBackOffTest {
  private static final long MS = 1_000_000;

  private long now = 5_000 * MS;
  private final SpinBackOff backOff = new SpinBackOff(() -> now);

  @Test
  void aTallyThreeQuartersLateTellsAndBeginsAgain() {
    SpinBackOff.Tally tally = new SpinBackOff.Tally();
    int onTime = SpinBackOff.Tally.FINDS / 4;
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < SpinBackOff.Tally.FINDS - 1; i++) {
        assertFalse(tally.found(i >= onTime), "not before the tally's end");
      }
      assertTrue(tally.found(true), "three quarters late (round " + round + ")");
    }
  }

  @Test
  void aTallyOneShortOfThreeQuartersLateDoesNotTell() {
    SpinBackOff.Tally tally = new SpinBackOff.Tally();
    int onTime = SpinBackOff.Tally.FINDS / 4 + 1;
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < SpinBackOff.Tally.FINDS; i++) {
        assertFalse(tally.found(i >= onTime), "one on time too many");
      }
    }
  }

  @Test
  void aBackOffStopsSpinningForTenMilliseconds() {
    assertTrue(backOff.maySpinNow());
    backOff.findsCameLate(now);
    assertFalse(backOff.maySpinNow());
    now += 10 * MS - 1;
    assertFalse(backOff.maySpinNow());
    now += 1;
    assertTrue(backOff.maySpinNow());
    assertEquals(1, backOff.backOffs());
  }

  @Test
  void lateFindsDuringTheBackOffNeitherLengthenNorCountIt() {
    backOff.findsCameLate(now);
    now += 5 * MS;
    backOff.findsCameLate(now); // a tally begun before it started
    now += 5 * MS;
    assertTrue(backOff.maySpinNow(), "ends when the first began plus 10 ms");
    assertEquals(1, backOff.backOffs());
  }

  @Test
  void lateFindsThatComeBackSoonDoubleTheBackOffUpTo160Milliseconds() {
    long[] lengths = {10, 20, 40, 80, 160, 160};
    for (long length : lengths) {
      backOff.findsCameLate(now);
      now += length * MS - 1;
      assertFalse(backOff.maySpinNow(), "backs off " + length + " ms");
      now += 1;
      assertTrue(backOff.maySpinNow(), "backs off " + length + " ms only");
      now += SpinBackOff.AGAIN_SOON_NANOS - 1; // back soon after it ended
    }
    assertEquals(lengths.length, backOff.backOffs());
  }

  @Test
  void lateFindsThatComeBackLaterStartAgainAtTenMilliseconds() {
    backOff.findsCameLate(now);
    now += 15 * MS;
    backOff.findsCameLate(now); // 5 ms after the end: 20 ms
    now += 20 * MS + SpinBackOff.AGAIN_SOON_NANOS; // quiet for a while after the end
    backOff.findsCameLate(now);
    now += 10 * MS;
    assertTrue(backOff.maySpinNow());
    assertEquals(3, backOff.backOffs());
  }
}
