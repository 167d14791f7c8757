package dev.spoke.host;

import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test during which a plugin reported a failed assertion of Spoke's code ({@link
 * PluginAssertionFailures}), though the test's own checks passed. Registered for every test of this
 * module (META-INF/services, with extension auto-detection on in junit-platform.properties); after each
 * test and after each class, for plugins a class shares between its tests.
 */
public final class PluginAssertionCheck implements AfterEachCallback, AfterAllCallback {

  @Override
  public void afterEach(ExtensionContext context) {
    check();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    check();
  }

  private static void check() {
    List<String> failures = PluginAssertionFailures.take();
    if (!failures.isEmpty()) {
      throw new AssertionError("a plugin failed an assertion of Spoke's code meanwhile:\n" + String.join("\n", failures));
    }
  }
}
