package dev.spoke.shm;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a hub this version of Spoke can use; the message says what is wrong with it. */
public final class HubFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  HubFormatException(Path path, String reason) {
    super("cannot use hub " + path + ": " + reason);
    this.path = path;
  }

  /** The file that is not a usable hub. */
  public Path path() {
    return path;
  }
}
