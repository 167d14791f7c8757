package dev.spoke;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of Spoke this runtime belongs to, as recorded when it was built. */
public final class SpokeVersion {

  private static final String VERSION = load();

  private SpokeVersion() {}

  /** For example {@code 0.1.0}; {@code unknown} if the build did not record it. */
  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = SpokeVersion.class.getResourceAsStream("spoke-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
