package dev.spoke.compiler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this generator, which every generated file names in its header. It comes from a
 * resource Maven writes into the jar at build time (so it is the same on every run of the same jar, and
 * also available when the classes run from {@code target/classes}).
 */
final class Version {

  static final String RESOURCE = "/dev/spoke/compiler/protoc-gen-spoke.properties";

  private Version() {}

  /**
   * This generator's version, for example {@code 0.1.0}.
   *
   * @throws IllegalStateException if the jar was built without its version resource
   */
  static String current() {
    try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the resource " + RESOURCE + " is missing from the classpath");
      }
      Properties properties = new Properties();
      properties.load(in);
      String version = properties.getProperty("version", "");
      if (version.isEmpty() || version.startsWith("${")) {
        throw new IllegalStateException("the resource " + RESOURCE + " has no filtered version: '" + version + "'");
      }
      return version;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }
}
