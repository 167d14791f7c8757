package dev.spoke.host;

import dev.spoke.shm.HubConfig;
import java.nio.file.Path;

/**
 * A host in its own process whose whole log goes to a file, for the tests of what a host logs: slf4j-simple
 * at INFO, without date or thread. Launches {@link LoggingPlugin}, then stops it cleanly and prints
 * {@code DONE}. Arguments: the hub directory, the log file.
 */
public final class LogHostMain {
  public static void main(String[] args) throws Exception {
    // Before the first logger is made: slf4j-simple reads its settings once.
    System.setProperty("org.slf4j.simpleLogger.logFile", args[1]);
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
    System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "false");
    try (SpokeHost host = SpokeHost.builder().hubConfig(HubConfig.builder().directory(Path.of(args[0])).build()).build()) {
      Plugin p = host.launch(PluginSpec.java("chatty", LoggingPlugin.class).jvmArgs("-Xmx64m").build());
      p.close();
    }
    System.out.println("DONE");
  }
}
