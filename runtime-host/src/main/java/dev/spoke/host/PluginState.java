package dev.spoke.host;

/** Where a plugin is in its life. */
public enum PluginState {
  /** Its process runs and has not sent READY yet. */
  STARTING,
  /** It answered READY: calls go through. */
  READY,
  /** It failed and waits for its back-off before the restart policy launches it again. */
  RESTARTING,
  /** The host asked it to stop and waits for it to finish running calls and exit. */
  STOPPING,
  /** It stopped because the host asked it to. */
  STOPPED,
  /** It stopped without being asked, and the restart policy does not bring it back. */
  FAILED
}
