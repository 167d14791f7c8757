package dev.spoke.host;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Where a Java plugin's classes come from: the class path its JVM gets, worked out from where its main
 * class was loaded in the host, so that a host runs its plugins the same way whatever started it.
 *
 * <ul>
 *   <li>Loaded by the JVM's application class loader ({@code java -cp}, {@code java -jar} of a fat jar,
 *       IDE runners, Surefire): the host's own {@code java.class.path}.
 *   <li>Loaded by a {@link URLClassLoader} ({@code mvn exec:java}, Gradle and IDE runners that load the
 *       application in a loader of their own, plugin frameworks): that loader's entries, then those of
 *       its parents up to and including the application class loader.
 *   <li>Loaded from a jar nested in a jar (Spring Boot's executable jars): the outer jar, started
 *       through Spring Boot's own {@code PropertiesLauncher} with {@code -Dloader.main=<the plugin's
 *       main class>}, which reads the nested layout. Other nested layouts cannot be started with a
 *       plain class path; the error says so and what to do.
 *   <li>Loaded by a class loader that does not list its entries: an error that says to give the class
 *       path with {@link PluginSpec.Builder#classpath}.
 * </ul>
 *
 * <p>Entries are made absolute, so a plugin with a working directory of its own still finds them.
 *
 * <p>Immutable.
 */
final class PluginClassPath {

  /** How the class path was found, for {@link PluginSpec#toString()} and for errors. */
  enum Origin {
    /** {@link PluginSpec.Builder#classpath} was called. */
    GIVEN("given"),
    /** The host's {@code java.class.path}. */
    HOST("the host's java.class.path"),
    /** The class loader of the main class and its parents. */
    LOADER("where the main class was loaded from"),
    /** A Spring Boot executable jar, started through its PropertiesLauncher. */
    SPRING_BOOT_JAR("the Spring Boot jar the main class was loaded from");

    private final String description;

    Origin(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /** The class Spring Boot's executable jars start with, as a prefix; its PropertiesLauncher is beside it. */
  private static final String SPRING_BOOT_LOADER_PACKAGE = "org.springframework.boot.loader.";

  private final List<String> entries;
  private final Origin origin;
  /** The class the JVM starts, when it is not the plugin's main class (a Spring Boot launcher), or null. */
  private final String launcherClass;

  private PluginClassPath(List<String> entries, Origin origin, String launcherClass) {
    this.entries = List.copyOf(entries);
    this.origin = origin;
    this.launcherClass = launcherClass;
  }

  /** A class path the user gave, as a {@link File#pathSeparator}-separated list. */
  static PluginClassPath given(String classpath) {
    return new PluginClassPath(absolute(split(classpath)), Origin.GIVEN, null);
  }

  /** The host's own class path. */
  static PluginClassPath host() {
    return new PluginClassPath(absolute(split(System.getProperty("java.class.path", ""))), Origin.HOST, null);
  }

  /**
   * The class path of the class named {@code mainClass} as {@code loader} loaded it.
   *
   * @throws IllegalArgumentException if no plain class path can start it, saying why and what to do
   */
  static PluginClassPath of(String pluginName, String mainClass, ClassLoader loader) {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    ClassLoader platform = ClassLoader.getPlatformClassLoader();
    if (loader == null || loader == system) {
      return host();
    }
    if (loader == platform) {
      throw new IllegalArgumentException("plugin '" + pluginName + "': " + mainClass
          + " was loaded by the platform class loader, so it has no class path to run a plugin with; give one with"
          + " PluginSpec.Builder.classpath(...)");
    }
    if (!(loader instanceof URLClassLoader)) {
      throw new IllegalArgumentException("plugin '" + pluginName + "': " + mainClass + " was loaded by "
          + loader.getClass().getName() + ", a class loader that does not list its class path, so the plugin's JVM"
          + " cannot be given the same one. Give the plugin its class path with PluginSpec.Builder.classpath(...)"
          + " (the directories and jars that hold " + mainClass + ", Spoke's runtime-peer and their dependencies)");
    }
    Set<String> out = new LinkedHashSet<>();
    for (ClassLoader l = loader; l != null && l != platform; l = l.getParent()) {
      if (l == system) {
        out.addAll(host().entries);
        break;
      }
      if (!(l instanceof URLClassLoader)) {
        break; // a parent that does not list its entries: what it holds is the application's own affair
      }
      for (URL url : ((URLClassLoader) l).getURLs()) {
        Path nestedIn = outerJarOfNested(url);
        if (nestedIn != null) {
          return nested(pluginName, mainClass, url, nestedIn);
        }
        out.add(fileOf(pluginName, mainClass, url));
      }
    }
    return new PluginClassPath(new ArrayList<>(out), Origin.LOADER, null);
  }

  /**
   * A main class loaded from inside a jar: a Spring Boot executable jar starts it through its
   * PropertiesLauncher; any other layout is refused with what to do instead.
   */
  private static PluginClassPath nested(String pluginName, String mainClass, URL url, Path outer) {
    String bootMain = null;
    boolean hasLauncher = false;
    String launcher = null;
    try (JarFile jar = new JarFile(outer.toFile())) {
      Manifest m = jar.getManifest();
      bootMain = m == null ? null : m.getMainAttributes().getValue("Main-Class");
      if (bootMain != null && bootMain.startsWith(SPRING_BOOT_LOADER_PACKAGE)) {
        launcher = bootMain.substring(0, bootMain.lastIndexOf('.') + 1) + "PropertiesLauncher";
        hasLauncher = jar.getEntry(launcher.replace('.', '/') + ".class") != null;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("plugin '" + pluginName + "': " + mainClass + " was loaded from " + url
          + ", inside " + outer + ", which cannot be read: " + e.getMessage(), e);
    }
    if (launcher != null && hasLauncher) {
      return new PluginClassPath(List.of(outer.toString()), Origin.SPRING_BOOT_JAR, launcher);
    }
    throw new IllegalArgumentException("plugin '" + pluginName + "': " + mainClass + " was loaded from " + url
        + ", a jar inside " + outer + " (a nested-jar layout" + (bootMain != null ? " started by " + bootMain : "")
        + "), which a plugin's JVM cannot be started from with a class path. Either build the host as a plain fat"
        + " jar (maven-shade-plugin) or run it from a class path of plain jars, or give the plugin a class path of"
        + " its own with PluginSpec.Builder.classpath(...), or start it with PluginSpec.command(...)");
  }

  /** The outer jar of a URL that points into a jar ({@code jar:file:/a.jar!/BOOT-INF/…}, {@code jar:nested:…}), or null. */
  static Path outerJarOfNested(URL url) {
    if (!"jar".equals(url.getProtocol())) {
      return null;
    }
    String inner = url.getFile(); // "file:/a.jar!/BOOT-INF/classes!/" or "nested:/a.jar/!BOOT-INF/classes/!/"
    String path;
    if (inner.startsWith("file:")) {
      int bang = inner.indexOf("!/");
      path = bang < 0 ? inner.substring(5) : inner.substring(5, bang);
      // "jar:file:/a.jar!/" is the jar itself, not something nested in it.
      if (bang >= 0 && inner.substring(bang + 2).replace("!/", "").isEmpty()) {
        return null;
      }
    } else if (inner.startsWith("nested:")) {
      int end = inner.indexOf("/!");
      path = end < 0 ? inner.substring(7) : inner.substring(7, end);
    } else {
      return null; // not a file inside a jar: fileOf says what is wrong with it
    }
    try {
      return Paths.get(new URI("file", null, path, null));
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Paths.get(path);
    }
  }

  /** The file a class loader entry names, or an error naming the class if it is not a file. */
  private static String fileOf(String pluginName, String mainClass, URL url) {
    try {
      if ("file".equals(url.getProtocol())) {
        return Paths.get(url.toURI()).toAbsolutePath().toString();
      }
      if ("jar".equals(url.getProtocol())) {
        Path jar = Paths.get(new URI(url.getFile().substring(0, url.getFile().indexOf("!/"))));
        return jar.toAbsolutePath().toString();
      }
    } catch (URISyntaxException | IllegalArgumentException | IndexOutOfBoundsException e) {
      // reported below
    }
    throw new IllegalArgumentException("plugin '" + pluginName + "': " + mainClass + " comes from a class loader with"
        + " the entry " + url + ", which is not a file a JVM can have on its class path; give the plugin its class"
        + " path with PluginSpec.Builder.classpath(...)");
  }

  private static List<String> split(String classpath) {
    List<String> out = new ArrayList<>();
    for (String e : classpath.split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        out.add(e);
      }
    }
    return out;
  }

  private static List<String> absolute(List<String> entries) {
    List<String> out = new ArrayList<>(entries.size());
    for (String e : entries) {
      try {
        out.add(Paths.get(e).toAbsolutePath().toString());
      } catch (IllegalArgumentException x) {
        out.add(e);
      }
    }
    return out;
  }

  List<String> entries() {
    return entries;
  }

  Origin origin() {
    return origin;
  }

  /** The class the JVM starts when it is not the plugin's main class, or null. */
  String launcherClass() {
    return launcherClass;
  }

  /** The {@code -cp} argument. */
  String argument() {
    return String.join(File.pathSeparator, entries);
  }

  /**
   * Null if {@code mainClass} is on this class path (directories, jars and the jars their manifests
   * name); otherwise what is wrong, for an error message.
   */
  String checkHolds(String mainClass) {
    if (launcherClass != null) {
      return null; // inside the Spring Boot jar: its launcher finds it
    }
    if (entries.isEmpty()) {
      return "the class path is empty";
    }
    List<URL> urls = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (String e : entries) {
      Path p = Paths.get(e);
      if (!Files.exists(p)) {
        missing.add(e);
        continue;
      }
      try {
        urls.add(p.toUri().toURL());
      } catch (IOException x) {
        missing.add(e);
      }
    }
    String resource = mainClass.replace('.', '/') + ".class";
    // A loader with no parent that only looks: it follows the Class-Path of manifest-only jars too.
    try (URLClassLoader look = new URLClassLoader(urls.toArray(new URL[0]), null)) {
      if (look.findResource(resource) != null) {
        return null;
      }
    } catch (IOException e) {
      // closing failed; the answer stands
    }
    return mainClass + " is not on the class path it would run with (" + describe()
        + (missing.isEmpty() ? "" : "; missing: " + String.join(", ", missing)) + ")";
  }

  /** Where it came from and its size, for messages: "where the main class was loaded from, 12 entries: …". */
  String describe() {
    StringBuilder sb = new StringBuilder().append(origin).append(", ").append(entries.size())
        .append(entries.size() == 1 ? " entry" : " entries");
    int shown = Math.min(entries.size(), 3);
    if (shown > 0) {
      sb.append(": ").append(String.join(File.pathSeparator, entries.subList(0, shown)));
      if (shown < entries.size()) {
        sb.append(File.pathSeparator).append("…");
      }
    }
    if (launcherClass != null) {
      sb.append(", started through ").append(launcherClass);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return describe();
  }
}
