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

  private static void assertStanding(Report.Standing expected, Results here, Results other) {
    Report.Target t = target(here, other);
    assertEquals(expected, t.standing, t.measured);
  }

  @Test
  void sameSpeedIsJudgedByTheRatio() {
    assertStanding(Report.Standing.MET, run("quick", 400, 1650), run("full", 380, 1600));
    assertStanding(Report.Standing.NOT_MET, run("full", 400, 850), run("quick", 420, 1650));
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
    assertStanding(Report.Standing.MET, run("quick", 389, 1000), run("full", 300, 1250));
    assertStanding(Report.Standing.NOT_COMPARABLE, run("quick", 391, 1000), run("full", 300, 1250));
  }

  @Test
  void aDisturbedFloorLeavesTheRatioToJudge() {
    assertStanding(Report.Standing.NOT_MET, run("full", 9_000, 851), run("quick", 421, 1652));
  }
}
