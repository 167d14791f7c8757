package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The adaptive spin window follows the gaps between frames, on a clock of the test's own. */
class SpinWindowTest {

  private long now = 1_000_000_000L;
  private final SpinWindow window = new SpinWindow(IdleStrategy.BALANCED, () -> now);

  /**
   * The loop goes idle and the next frame comes {@code gapNanos} later: it is found while spinning if
   * the window is still open then, else it rings the parked loop. Returns whether it was spun for.
   */
  private boolean frameAfter(long gapNanos) {
    long step = 100;
    for (long t = 0; t < gapNanos; t += step) {
      if (!window.keepSpinning()) {
        now += gapNanos - t; // parked until the frame rang
        window.parked(true);
        window.worked(); // the round after the wake finds it
        return false;
      }
      now += step;
    }
    window.worked();
    return true;
  }

  @Test
  void aFrameThatRingsAfterAShortGapOpensTheWindowAtOnce() {
    assertEquals(25_000, window.windowNanos(), "the starting window");
    assertEquals(false, frameAfter(100_000), "a 100 µs gap outlasts the starting window");
    assertEquals(150_000, window.windowNanos(), "one and a half times the gap");
    for (int i = 0; i < 100; i++) {
      assertTrue(frameAfter(100_000), "every later 100 µs pause is spun through");
    }
    assertEquals(150_000, window.windowNanos(), "gaps it covers leave it as it is");
    assertTrue(frameAfter(120_000));
    assertEquals(180_000, window.windowNanos(), "a longer gap spun through widens it");
  }

  @Test
  void longGapsAndQuietParksCloseItDownToTheMinimum() {
    frameAfter(300_000); // rung after 300 µs: spinning that long would cost more than a wake-up
    assertEquals(12_500, window.windowNanos());
    for (int i = 0; i < 10; i++) {
      window.keepSpinning();
      now += 1_000_000_000L;
      window.parked(false); // the park ran out its time
    }
    assertEquals(IdleStrategy.BALANCED.minSpinNanos(), window.windowNanos());
  }

  @Test
  void itNeverGrowsBeyondTheStrategysMaximum() {
    long max = IdleStrategy.BALANCED.maxSpinNanos();
    for (long gap = 10_000; gap <= max / 3 * 2; gap += 10_000) {
      frameAfter(gap);
      assertTrue(window.windowNanos() <= max, window.windowNanos() + " after a gap of " + gap);
    }
    assertEquals(390_000, window.windowNanos());
    frameAfter(max); // too long to spin for
    assertEquals(195_000, window.windowNanos());
  }

  @Test
  void aRingThatBringsThisLoopNothingClosesIt() {
    // The loop was rung for a frame a blocking caller then took itself: spinning longer would not
    // have served this loop, only taken a core from that caller.
    window.keepSpinning();
    now += 50_000;
    window.parked(true);
    window.keepSpinning(); // the round after the wake found nothing
    assertEquals(12_500, window.windowNanos());
  }

  @Test
  void flowingTrafficKeepsItAtFiftyMicrosecondsAndNoMore() {
    for (int i = 0; i < 1000; i++) {
      window.keepSpinning();
      now += 1_000;
      window.worked();
    }
    assertEquals(50_000, window.windowNanos());
  }

  @Test
  void onlyALoopThatNeverParksYieldsItsCore() {
    int yields = 0;
    for (int i = 0; i < 1024 && window.keepSpinning(); i++) { // up to its whole 25 µs window
      yields += window.yieldNow() ? 1 : 0;
      now += 100;
    }
    assertEquals(0, yields, "BALANCED gives its core up by parking");
    SpinWindow busy = new SpinWindow(IdleStrategy.BUSY_SPIN, () -> now);
    for (int i = 0; i < 1024; i++) {
      busy.keepSpinning();
      yields += busy.yieldNow() ? 1 : 0;
    }
    assertEquals(0, yields, "BUSY_SPIN yields by time spun, not by rounds: no time passed");
  }

  @Test
  void aLoopThatNeverParksYieldsOnceEvery20MicrosecondsOfIdleSpinning() {
    SpinWindow busy = new SpinWindow(IdleStrategy.BUSY_SPIN, () -> now);
    int yields = 0;
    for (int i = 0; i < 1000; i++) { // 100 µs of idle spinning, 100 ns a round
      assertTrue(busy.keepSpinning());
      yields += busy.yieldNow() ? 1 : 0;
      now += 100;
    }
    assertEquals(4, yields, "at 20, 40, 60 and 80 µs (the clock is read every eight rounds)");
    busy.worked();
    for (int i = 0; i < 150; i++) { // a new idle stretch counts from its own start
      busy.keepSpinning();
      yields += busy.yieldNow() ? 1 : 0;
      now += 100;
    }
    assertEquals(4, yields, "15 µs into a new stretch: no yield yet, though the last was long ago");
    for (int i = 0; i < 100; i++) {
      busy.keepSpinning();
      yields += busy.yieldNow() ? 1 : 0;
      now += 100;
    }
    assertEquals(5, yields, "20 µs into it");
  }

  @Test
  void aLoopWhoseYieldLetOthersRunLongYieldsAgainAtItsNextClockRead() {
    SpinWindow busy = new SpinWindow(IdleStrategy.BUSY_SPIN, () -> now);
    int rounds = spinUntilYield(busy);
    assertEquals(208, rounds, "the first yield, at 20.7 µs (the clock is read every eight rounds)");
    now += 1_000; // a yield that returned at once (alone on its core): 1 µs
    rounds = spinUntilYield(busy);
    assertEquals(192, rounds, "the next comes 20 µs after the first, counting the yield's 1 µs");
    now += 30_000; // a yield that let other threads run for 30 µs
    assertEquals(8, spinUntilYield(busy), "the next comes at once: the core is wanted");
  }

  /** Idle rounds of 100 ns until {@code busy} asks to yield (at most 1,000). */
  private int spinUntilYield(SpinWindow busy) {
    for (int i = 1; i <= 1_000; i++) {
      busy.keepSpinning();
      boolean yield = busy.yieldNow();
      now += 100;
      if (yield) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void busySpinNeverStops() {
    SpinWindow busy = new SpinWindow(IdleStrategy.BUSY_SPIN, () -> now);
    for (int i = 0; i < 100; i++) {
      now += 1_000_000_000L;
      assertTrue(busy.keepSpinning());
    }
    busy.parked(false);
    assertEquals(Long.MAX_VALUE, busy.windowNanos());
  }
}
