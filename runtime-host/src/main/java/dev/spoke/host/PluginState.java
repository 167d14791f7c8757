package dev.spoke.host;

/** Where a plugin is in its life. */
public enum PluginState {
  /** Its process runs and has not sent READY yet; for a remote plugin, it has not been reached yet. */
  STARTING,
  /** It answered READY: calls go through. A remote plugin: it is reachable and says it serves. */
  READY,
  /** It failed and waits for its back-off before the restart policy launches it again. */
  RESTARTING,
  /**
   * A remote plugin that was ready cannot be reached now, or says it does not serve; its connection is
   * being re-established, and it is READY again once it is.
   */
  UNAVAILABLE,
  /** The host asked it to stop and waits for it to finish running calls and exit. */
  STOPPING,
  /** It stopped because the host asked it to. */
  STOPPED,
  /** It stopped without being asked, and the restart policy does not bring it back. */
  FAILED
}
