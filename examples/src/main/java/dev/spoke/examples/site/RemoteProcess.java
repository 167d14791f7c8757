package dev.spoke.examples.site;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's {@code --remote}: a plugin's own main started as a separate process that serves gRPC on
 * loopback, standing in for a plugin on another machine. The host does not start remote plugins; this
 * plays the part of whoever runs them there. Its output goes to this process's stderr; the last lines
 * are kept for error messages.
 *
 * <p>Thread-safe.
 */
final class RemoteProcess implements AutoCloseable {

  private static final int TAIL_LINES = 20;

  private final String name;
  private final String address;
  private final Process process;
  private final ArrayDeque<String> tail = new ArrayDeque<>();

  private RemoteProcess(String name, String address, Process process) {
    this.name = name;
    this.address = address;
    this.process = process;
    pump(process.getInputStream());
    pump(process.getErrorStream());
  }

  /**
   * Starts {@code mainClass} on this JVM's class path, listening on a free loopback port, calling the
   * host back at {@code hostTarget}.
   */
  static RemoteProcess start(String name, Class<?> mainClass, List<String> jvmArgs, String hostTarget) throws IOException {
    String address = InetAddress.getLoopbackAddress().getHostAddress() + ":" + freeLoopbackPort();
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass.getName());
    cmd.add("--listen=" + address);          // a remote plugin: serve gRPC here instead of attaching to a hub
    cmd.add("--host-target=" + hostTarget);  // and call the host back there
    cmd.add("--plugin-name=" + name);
    return new RemoteProcess(name, address, new ProcessBuilder(cmd).start());
  }

  /** A port nothing listens on now; the plugin binds it a moment later (on loopback, nobody else races for it). */
  private static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Where it serves: {@code 127.0.0.1:41237}. */
  String address() {
    return address;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** How it ended and the last lines it wrote, for an error message; empty while it runs. */
  String describeEnd() {
    if (process.isAlive()) {
      return "";
    }
    synchronized (tail) {
      return " (its process exited with status " + process.exitValue() + (tail.isEmpty() ? ")" : "; its last output:\n  "
          + String.join("\n  ", tail) + ")");
    }
  }

  /** Stops it as its owner would: SIGTERM (running calls finish), then SIGKILL after 10 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private void pump(InputStream in) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          System.err.println("[remote plugin '" + name + "'] " + line);
          synchronized (tail) {
            tail.add(line);
            if (tail.size() > TAIL_LINES) {
              tail.poll();
            }
          }
        }
      } catch (IOException e) {
        // the process went away
      }
    }, "remote-" + name + "-output");
    t.setDaemon(true);
    t.start();
  }
}
