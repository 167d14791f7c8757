package dev.spoke.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The quick-mode target compares a quick and a full run only where the machine ran at one speed. */
class QuickModeTargetTest {

  private static Results run(String mode, long spinP50, long spokeP50) {
    return new Results().addAll(List.of(
        Result.decode("RESULT\tmetric=run\tseries=run\tmode=" + mode + "\tcommit=abc1234\tdate=2026-12-05 12:00 UTC"),
        Result.decode("RESULT\tmetric=spin\tseries=floor.spin\tsize=8\tn=1000\tp50=" + spinP50 + "\tp99=" + 2 * spinP50),
        Result.decode("RESULT\tmetric=latency\tseries=" + Series.HEADLINE.key + "\tsize=16\tn=1000\tp50=" + spokeP50
            + "\tp90=" + spokeP50 + "\tp99=" + spokeP50 + "\tp999=" + spokeP50)));
  }

  private static Report.Target target(Results here, Results other) {
    return new Report(here, other).targets().stream().filter(t -> t.goal.startsWith("quick mode"))
        .findFirst().orElseThrow();
  }

  @Test
  void sameSpeedIsJudgedByTheRatio() {
    Report.Target close = target(run("quick", 400, 1650), run("full", 380, 1600));
    assertEquals(Report.Standing.MET, close.standing, close.measured);
    Report.Target far = target(run("full", 400, 850), run("quick", 420, 1650));
    assertEquals(Report.Standing.NOT_MET, far.standing, far.measured);
  }

  @Test
  void anotherSpeedIsSaidToBeNotComparable() {
    Report.Target t = target(run("full", 130, 851), run("quick", 421, 1652));
    assertEquals(Report.Standing.NOT_COMPARABLE, t.standing, t.measured);
    assertTrue(t.measured.contains("spin floors differ (quick 0.421 µs, full 0.130 µs)"), t.measured);
    assertTrue(t.measured.contains("1.94×"), "the ratio itself is still shown: " + t.measured);
  }

  @Test
  void floorsWithinTheToleranceCountAsOneSpeed() {
    Report.Target t = target(run("quick", 389, 1000), run("full", 300, 1250));
    assertEquals(Report.Standing.MET, t.standing, t.measured);
    Report.Target beyond = target(run("quick", 391, 1000), run("full", 300, 1250));
    assertEquals(Report.Standing.NOT_COMPARABLE, beyond.standing, beyond.measured);
  }

  @Test
  void aDisturbedFloorLeavesTheRatioToJudge() {
    Report.Target t = target(run("full", 9_000, 851), run("quick", 421, 1652));
    assertEquals(Report.Standing.NOT_MET, t.standing, t.measured);
  }
}
