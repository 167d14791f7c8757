package dev.spoke.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A child that reports a failed assertion of Spoke's code on stderr fails the test that ran it. */
class ChildJvmTest {

  /**
   * Logs an assertion error thrown in {@code dev.spoke} (or, with "theirs", a foreign one) as a receive
   * thread that survives one does, then prints "DONE".
   */
  public static final class Reporter {
    public static void main(String[] args) {
      AssertionError e = new AssertionError("ring owned by another thread");
      if (args.length > 0 && args[0].equals("theirs")) {
        e.setStackTrace(new StackTraceElement[] {new StackTraceElement("com.example.Index", "merge", "Index.java", 4)});
      }
      org.slf4j.LoggerFactory.getLogger(Reporter.class).error("receive loop failed; continuing", e);
      System.out.println("DONE");
    }
  }

  @Test
  void aChildThatReportsAFailedSpokeAssertionFailsOnClose() throws Exception {
    ChildJvm child = ChildJvm.start(Reporter.class);
    child.awaitLine("DONE", 30, TimeUnit.SECONDS);
    assertEquals(0, child.waitFor(30, TimeUnit.SECONDS));
    AssertionError failure = assertThrows(AssertionError.class, child::close);
    assertTrue(failure.getMessage().contains("java.lang.AssertionError: ring owned by another thread\n\tat "
        + Reporter.class.getName() + ".main("), failure.getMessage());
  }

  @Test
  void anAssertionErrorOfOtherCodeIsNotSpokes() throws Exception {
    ChildJvm child = ChildJvm.start(Reporter.class, "theirs");
    child.awaitLine("DONE", 30, TimeUnit.SECONDS);
    assertEquals(0, child.waitFor(30, TimeUnit.SECONDS));
    assertDoesNotThrow(child::close);
  }
}
