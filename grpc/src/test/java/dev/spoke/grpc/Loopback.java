package dev.spoke.grpc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Addresses on loopback for the plugins a test starts. */
final class Loopback {

  private Loopback() {}

  /**
   * {@code 127.0.0.1:<port>} with a port nothing listens on now. A remote plugin listens only once it is
   * ready, so a test that starts one names its port rather than asking it; on loopback nobody else takes
   * the port in the moment between.
   */
  static String freeAddress() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }
}
