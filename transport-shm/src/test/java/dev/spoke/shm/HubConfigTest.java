package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hub's settings: the advice for payloads over the limit, and adding a size class as it says. */
class HubConfigTest {

  @Test
  void aPayloadOverTheLimitIsToldTheSettingThatRaisesIt() {
    int limit = HubConfig.defaults().maxPayloadLength();
    assertEquals(16 << 20, limit);
    String advice = HubConfig.largerSlotsAdvice((16 << 20) + 1, limit);
    assertTrue(advice.contains("SpokeHost.builder().hubConfig(HubConfig.builder().addSizeClass(SizeClass.of(32 << 20, 2)).build())"
        + " for 32 MiB (the largest now is 16 MiB"), advice);
    // What it says to write raises the limit enough.
    HubConfig raised = HubConfig.builder().addSizeClass(SizeClass.of(32 << 20, 2)).build();
    assertTrue(raised.maxPayloadLength() >= (16 << 20) + 1);
    assertTrue(HubConfig.largerSlotsAdvice(1500 << 20, limit).contains("send it in parts"));
  }

  @Test
  void addSizeClassKeepsTheOthersSortedAndRefusesATwin() {
    HubConfig c = HubConfig.builder().addSizeClass(SizeClass.of(64 << 20, 2)).addSizeClass(SizeClass.of(512, 8)).build();
    List<SizeClass> expected = new ArrayList<>();
    expected.add(SizeClass.of(512, 8));
    expected.addAll(HubConfig.DEFAULT_SIZE_CLASSES);
    expected.add(SizeClass.of(64 << 20, 2));
    assertEquals(expected, c.sizeClasses());
    assertThrows(IllegalArgumentException.class, () -> HubConfig.builder().addSizeClass(SizeClass.of(1024, 3)));
  }
}
