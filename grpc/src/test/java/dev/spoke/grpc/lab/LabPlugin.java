package dev.spoke.grpc.lab;

import dev.spoke.peer.SpokePeer;

/**
 * The Lab as a plugin: its main is a plugin's like any other, and its arguments say whether it attaches
 * to a host's hub or listens for gRPC on an address (see {@link dev.spoke.peer.PeerArguments}).
 */
public final class LabPlugin {

  private LabPlugin() {}

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    peer.intercept(new EchoMetadata()); // custom_metadata, as gRPC's interop tests ask
    peer.addService(new LabService(peer.hostChannel()));
    peer.serve();
  }
}
