package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.shm.HubConfig;
import dev.spoke.testing.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a Java plugin's class path comes from, and the errors when it cannot be worked out. */
class PluginClassPathTest {

  @TempDir
  Path dir;

  @Test
  void aMainClassOfTheApplicationLoaderRunsOnTheHostsClassPathMadeAbsolute() {
    PluginSpec spec = PluginSpec.java("echo", EchoPlugin.class).build();
    assertEquals(EchoPlugin.class.getName(), spec.mainClass());
    List<String> expected = new java.util.ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      expected.add(Paths.get(e).toAbsolutePath().toString());
    }
    assertEquals(expected, spec.classpath());
    assertTrue(spec.toString().contains("class path: the host's java.class.path"), spec.toString());
  }

  @Test
  void aMainClassOfAUrlClassLoaderRunsOnThatLoadersEntriesThenItsParents() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path lib = dir.resolve("lib.jar");
    writeJar(lib, null);
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL(), lib.toUri().toURL()},
        PluginClassPathTest.class.getClassLoader())) {
      PluginClassPath cp = PluginClassPath.of("p", "com.example.Main", loader);
      assertEquals(PluginClassPath.Origin.LOADER, cp.origin());
      assertEquals(classes.toString(), cp.entries().get(0));
      assertEquals(lib.toString(), cp.entries().get(1));
      // then the application loader's entries, since the loader delegates to it
      assertEquals(PluginClassPath.host().entries(), cp.entries().subList(2, cp.entries().size()));
      assertNull(cp.launcherClass());
    }
    // A loader whose parent is the platform loader (as exec:java's child-first loader sees it): its entries only.
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
      assertEquals(List.of(classes.toString()), PluginClassPath.of("p", "com.example.Main", loader).entries());
    }
  }

  @Test
  void aLoaderThatDoesNotListItsEntriesIsRefusedSayingWhatToDo() {
    ClassLoader opaque = new ClassLoader(PluginClassPathTest.class.getClassLoader()) {};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PluginClassPath.of("thumbnailer", "com.example.Thumbnailer", opaque));
    assertTrue(e.getMessage().contains("plugin 'thumbnailer'"), e.getMessage());
    assertTrue(e.getMessage().contains("com.example.Thumbnailer"), e.getMessage());
    assertTrue(e.getMessage().contains("PluginSpec.Builder.classpath(...)"), e.getMessage());
  }

  @Test
  void aSpringBootJarIsStartedThroughItsPropertiesLauncher() throws Exception {
    for (String[] layout : new String[][] {
        // Spring Boot 3.2 and later, and before.
        {"org.springframework.boot.loader.launch.JarLauncher", "nested:%s/!BOOT-INF/classes/!/"},
        {"org.springframework.boot.loader.JarLauncher", "file:%s!/BOOT-INF/classes!/"}}) {
      Path app = dir.resolve("app-" + layout[0].hashCode() + ".jar");
      String launcher = layout[0].substring(0, layout[0].lastIndexOf('.') + 1) + "PropertiesLauncher";
      writeJar(app, layout[0], launcher.replace('.', '/') + ".class", "BOOT-INF/classes/com/example/Thumbnailer.class");
      URL nested = nestedUrl("jar:" + String.format(layout[1], app.toUri().getPath().replaceAll("/$", "")));
      try (URLClassLoader loader = new URLClassLoader(new URL[] {nested}, null)) {
        PluginClassPath cp = PluginClassPath.of("thumbnailer", "com.example.Thumbnailer", loader);
        assertEquals(PluginClassPath.Origin.SPRING_BOOT_JAR, cp.origin());
        assertEquals(List.of(app.toString()), cp.entries());
        assertEquals(launcher, cp.launcherClass());
        assertNull(cp.checkHolds("com.example.Thumbnailer"));
      }
    }
  }

  @Test
  void aSpringBootPluginsCommandLineNamesItsMainClassForTheLauncher() throws Exception {
    Path app = dir.resolve("app.jar");
    writeJar(app, "org.springframework.boot.loader.launch.JarLauncher",
        "org/springframework/boot/loader/launch/PropertiesLauncher.class");
    URL nested = nestedUrl("jar:nested:" + app.toUri().getPath() + "/!BOOT-INF/classes/!/");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {nested}, null)) {
      PluginSpec spec = PluginSpec.java("t", "com.example.Thumbnailer", loader).jvmArgs("-Xmx64m").build();
      List<String> cmd = spec.commandLine(dir.resolve("x.hub"), 3, "BALANCED");
      int cp = cmd.indexOf("-cp");
      assertEquals(List.of(app.toString(), "-Dloader.main=com.example.Thumbnailer",
          "org.springframework.boot.loader.launch.PropertiesLauncher", "--hub-path=" + dir.resolve("x.hub")),
          cmd.subList(cp + 1, cp + 5));
      assertTrue(cmd.indexOf("-Xmx64m") < cp, cmd.toString());
      assertTrue(spec.toString().contains("the Spring Boot jar the main class was loaded from"), spec.toString());
    }
  }

  @Test
  void anotherNestedJarLayoutIsRefusedSayingWhatToDo() throws Exception {
    Path app = dir.resolve("onejar.jar");
    writeJar(app, "com.simontuffs.onejar.Boot", "main/app.jar");
    URL nested = nestedUrl("jar:file:" + app.toUri().getPath() + "!/main/app.jar!/");
    try (URLClassLoader loader = new URLClassLoader(new URL[] {nested}, null)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PluginClassPath.of("thumbnailer", "com.example.Thumbnailer", loader));
      assertTrue(e.getMessage().contains("com.example.Thumbnailer"), e.getMessage());
      assertTrue(e.getMessage().contains("nested-jar layout"), e.getMessage());
      assertTrue(e.getMessage().contains("PluginSpec.Builder.classpath(...)"), e.getMessage());
      assertTrue(e.getMessage().contains("maven-shade-plugin"), e.getMessage());
    }
  }

  @Test
  void aMainClassThatIsNotOnItsClassPathFailsBeforeAnyProcessStarts() throws Exception {
    try (SpokeHost host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(dir).build()).build()) {
      PluginSpec spec = PluginSpec.java("thumbnailer", "com.example.Thumbnailer").build();
      long start = System.nanoTime();
      PluginLaunchException e = assertThrows(PluginLaunchException.class, () -> host.launch(spec));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "it took a process start to find out");
      assertTrue(e.getMessage().startsWith("cannot launch plugin 'thumbnailer': com.example.Thumbnailer is not on the"
          + " class path it would run with"), e.getMessage());
      assertTrue(e.getMessage().contains("PluginSpec.java(\"thumbnailer\", Thumbnailer.class)"), e.getMessage());
      assertTrue(e.getMessage().contains("PluginSpec.Builder.classpath(...)"), e.getMessage());
      assertEquals(0, host.snapshot().peers.size(), "no peer entry was reserved");

      PluginSpec missingJar = PluginSpec.java("echo", EchoPlugin.class.getName())
          .classpath(dir.resolve("gone.jar").toString()).build();
      e = assertThrows(PluginLaunchException.class, () -> host.launch(missingJar));
      assertTrue(e.getMessage().contains("missing: " + dir.resolve("gone.jar")), e.getMessage());
    }
  }

  @Test
  void relativeEntriesAreMadeAbsoluteSoAWorkingDirectoryOfItsOwnDoesNotLoseThem() {
    PluginSpec spec = PluginSpec.java("p", "com.example.Main").classpath("target/classes" + File.pathSeparator + "lib/a.jar")
        .workingDirectory(dir).build();
    assertEquals(List.of(Paths.get("target/classes").toAbsolutePath().toString(),
        Paths.get("lib/a.jar").toAbsolutePath().toString()), spec.classpath());
  }

  /**
   * The host runs in a class loader of its own whose entries are not on its JVM's class path, as under
   * {@code mvn exec:java}: its plugins start from where their main class was loaded, and answer.
   */
  @Test
  void aHostInAClassLoaderOfItsOwnLaunchesWorkingPlugins() throws Exception {
    Path launcherDir = dir.resolve("launcher");
    String resource = IsolatedLauncher.class.getName().replace('.', '/') + ".class";
    Path copy = launcherDir.resolve(resource);
    Files.createDirectories(copy.getParent());
    try (InputStream in = IsolatedLauncher.class.getClassLoader().getResourceAsStream(resource)) {
      Files.copy(in, copy);
    }
    Path hubs = Files.createDirectories(dir.resolve("hubs"));
    try (ChildJvm hostProcess = ChildJvm.start(launcherDir.toString(), IsolatedLauncher.class.getName(),
        System.getProperty("java.class.path"), HostMain.class.getName(), hubs.toString())) {
      hostProcess.awaitLine("PLUGINS ", 60, TimeUnit.SECONDS);
      hostProcess.send("CALL");
      assertTrue(hostProcess.awaitLine("CALLED orphan-a", 30, TimeUnit.SECONDS).startsWith("CALLED orphan-a"));
      assertTrue(hostProcess.awaitLine("CALLED orphan-b", 30, TimeUnit.SECONDS).startsWith("CALLED orphan-b"));
    }
  }

  /**
   * A URL as Spring Boot's class loaders list them. The JDK's jar: handler refuses nested ones (Spring
   * Boot registers its own), so this one only parses: nothing is read through it.
   */
  private static URL nestedUrl(String spec) throws IOException {
    URLStreamHandler parseOnly = new URLStreamHandler() {
      @Override
      protected URLConnection openConnection(URL u) {
        throw new UnsupportedOperationException("parse only");
      }

      @Override
      protected void parseURL(URL u, String text, int start, int limit) {
        setURL(u, "jar", null, -1, null, null, text.substring(start, limit), null, null);
      }
    };
    return new URL(null, spec, parseOnly);
  }

  private static void writeJar(Path jar, String mainClass, String... entries) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    if (mainClass != null) {
      m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
    }
    try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
      for (String e : entries) {
        j.putNextEntry(new JarEntry(e));
        j.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
        j.closeEntry();
      }
    }
  }
}
