package dev.spoke.host;

import java.io.File;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a main class the way {@code mvn exec:java} and other runners do: in a class loader of its own
 * whose entries are not on the JVM's class path. Arguments: the class path for the loader, the main
 * class, then that class's arguments. Uses the JDK only: it is copied alone into the JVM's class path.
 */
public final class IsolatedLauncher {
  public static void main(String[] args) throws Exception {
    List<URL> urls = new ArrayList<>();
    for (String entry : args[0].split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        urls.add(Paths.get(entry).toUri().toURL());
      }
    }
    // The platform loader as parent: nothing of the application comes from the JVM's class path.
    URLClassLoader loader = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
    Thread.currentThread().setContextClassLoader(loader);
    Method main = Class.forName(args[1], true, loader).getMethod("main", String[].class);
    main.invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
  }
}
