package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class CallOptionsTest {

  @Test
  void everyCopyKeepsEveryOtherSetting() {
    Executor executor = Runnable::run;
    Consumer<Metadata> trailers = t -> {};
    Deadline deadline = Deadline.after(5, TimeUnit.SECONDS);
    CallOptions all = CallOptions.DEFAULT.withWaitForReady().withDeadline(deadline).withExecutor(executor)
        .withHeader("a", "1").withTrailersListener(trailers).withHeaders(new Metadata().put("b", "2"));
    assertTrue(all.isWaitForReady());
    assertSame(deadline, all.getDeadline());
    assertSame(executor, all.getExecutor());
    assertSame(trailers, all.getTrailersListener());
    assertEquals("1", all.getHeaders().get("a"));
    assertEquals("2", all.getHeaders().get("b"));

    CallOptions without = all.withoutWaitForReady();
    assertFalse(without.isWaitForReady());
    assertSame(deadline, without.getDeadline());
    assertSame(executor, without.getExecutor());
    assertEquals("1", without.getHeaders().get("a"));
    assertTrue(all.isWaitForReady(), "copies do not change the original");
  }

  @Test
  void theDefaultWaitsForNothing() {
    assertFalse(CallOptions.DEFAULT.isWaitForReady());
    assertNull(CallOptions.DEFAULT.getDeadline());
    assertSame(CallOptions.DEFAULT, CallOptions.DEFAULT.withoutWaitForReady());
    CallOptions waits = CallOptions.DEFAULT.withWaitForReady();
    assertSame(waits, waits.withWaitForReady());
  }
}
