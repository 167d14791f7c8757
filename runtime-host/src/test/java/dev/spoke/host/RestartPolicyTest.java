package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RestartPolicyTest {

  @Test
  void theBackoffDoublesWithEachFailureInARowUpToItsCap() {
    RestartPolicy p = RestartPolicy.onFailure(100, Duration.ofMillis(50));
    assertEquals(Duration.ofMillis(50), p.backoff(1));
    assertEquals(Duration.ofMillis(100), p.backoff(2));
    assertEquals(Duration.ofMillis(400), p.backoff(4));
    assertEquals(Duration.ofSeconds(30), p.backoff(30), "capped at 30 s by default");
    assertEquals(Duration.ofSeconds(30), p.backoff(Integer.MAX_VALUE));
    RestartPolicy capped = p.withMaxBackoff(Duration.ofMillis(150));
    assertEquals(Duration.ofMillis(100), capped.backoff(2));
    assertEquals(Duration.ofMillis(150), capped.backoff(3));
    assertEquals(Duration.ofMillis(20), RestartPolicy.onFailure(1, Duration.ofSeconds(1))
        .withMaxBackoff(Duration.ofMillis(20)).backoff(1), "a cap below the initial back-off wins");
  }

  @Test
  void theStablePeriodDefaultsToAMinuteAndCanBeSet() {
    RestartPolicy p = RestartPolicy.onFailure(3, Duration.ofMillis(200));
    assertEquals(Duration.ofMinutes(1), p.stableAfter());
    assertEquals(Duration.ofSeconds(5), p.withStableAfter(Duration.ofSeconds(5)).stableAfter());
    assertEquals(3, p.withStableAfter(Duration.ofSeconds(5)).withMaxBackoff(Duration.ofSeconds(1)).maxRestarts());
  }

  @Test
  void negativeOrHugeSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(-1, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(1, Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(1, Duration.ZERO).withMaxBackoff(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(1, Duration.ZERO).withStableAfter(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(1, Duration.ZERO).withMaxBackoff(Duration.ofDays(2)));
    assertThrows(IllegalArgumentException.class, () -> RestartPolicy.onFailure(1, Duration.ofDays(400)));
    assertEquals(Duration.ofDays(1), RestartPolicy.onFailure(1, Duration.ofHours(1)).withMaxBackoff(Duration.ofDays(1))
        .backoff(Integer.MAX_VALUE), "doubling stops at the cap, never overflows");
  }
}
