package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

class StatusTest {

  /**
   * A program whose first use of the two classes is a code (say {@code Status.Code.NOT_FOUND.value()})
   * must get working statuses: each class initializes without the other being ready. Loaded afresh, so
   * that no earlier test has initialized them already.
   */
  @Test
  void theCodesMayBeUsedBeforeTheStatuses() throws Exception {
    URL classes = Status.class.getProtectionDomain().getCodeSource().getLocation();
    try (URLClassLoader fresh = new URLClassLoader(new URL[] {classes}, null)) {
      Class<?> code = Class.forName("dev.spoke.Status$Code", true, fresh);
      Object notFound = code.getField("NOT_FOUND").get(null);
      assertEquals(5, code.getMethod("value").invoke(notFound));
      Object status = code.getMethod("toStatus").invoke(notFound);
      assertEquals("NOT_FOUND", status.toString());
      Class<?> statusClass = Class.forName("dev.spoke.Status", true, fresh);
      assertSame(status, statusClass.getField("NOT_FOUND").get(null));
    }
  }

  @Test
  void eachCodesStatusIsTheConstant() {
    for (Status.Code c : Status.Code.values()) {
      assertSame(c, c.toStatus().getCode());
      assertSame(c.toStatus(), Status.fromCodeValue(c.value()));
    }
    assertSame(Status.UNKNOWN, Status.fromCodeValue(99));
  }
}
