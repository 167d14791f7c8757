package dev.spoke.host;

/**
 * How a plugin's process ended.
 *
 * <p>Immutable.
 */
public final class PluginExit {
  private final String plugin;
  private final long pid;
  private final int status;
  private final boolean requested;

  PluginExit(String plugin, long pid, int status, boolean requested) {
    this.plugin = plugin;
    this.pid = pid;
    this.status = status;
    this.requested = requested;
  }

  /** The plugin's name. */
  public String plugin() {
    return plugin;
  }

  /** The pid of the process that ended. */
  public long pid() {
    return pid;
  }

  /** The exit status; 128 + n when the process was killed by signal n. */
  public int status() {
    return status;
  }

  /** True if the host asked the plugin to stop. */
  public boolean requested() {
    return requested;
  }

  /** For example "exited with status 1" or "was killed by signal 9 (SIGKILL)". */
  public String describe() {
    return describeStatus(status);
  }

  static String describeStatus(int status) {
    if (status > 128 && status < 128 + 65) {
      int signal = status - 128;
      return "was killed by signal " + signal + signalName(signal) + " (exit status " + status + ")";
    }
    return "exited with status " + status;
  }

  private static String signalName(int signal) {
    switch (signal) {
      case 1:
        return " (SIGHUP)";
      case 2:
        return " (SIGINT)";
      case 6:
        return " (SIGABRT)";
      case 9:
        return " (SIGKILL)";
      case 11:
        return " (SIGSEGV)";
      case 15:
        return " (SIGTERM)";
      default:
        return "";
    }
  }

  @Override
  public String toString() {
    return "plugin '" + plugin + "' (pid " + pid + ") " + describe() + (requested ? ", as asked" : "");
  }
}
