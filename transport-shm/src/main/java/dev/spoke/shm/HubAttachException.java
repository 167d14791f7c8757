package dev.spoke.shm;

import java.io.IOException;

/** A plugin could not take its peer entry in the hub; the message says why. */
public final class HubAttachException extends IOException {
  private static final long serialVersionUID = 1L;

  HubAttachException(String message) {
    super(message);
  }
}
