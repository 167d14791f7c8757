package dev.spoke.host;

/**
 * A plugin could not be launched: its process could not start, exited before it was ready, or never
 * said READY. The message says which, with the exit status and the last lines it wrote to stderr.
 */
public final class PluginLaunchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  PluginLaunchException(String message) {
    super(message);
  }

  PluginLaunchException(String message, Throwable cause) {
    super(message, cause);
  }
}
