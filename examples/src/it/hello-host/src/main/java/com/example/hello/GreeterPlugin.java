package com.example.hello;

import dev.spoke.peer.SpokePeer;

/** The plugin: a process of its own that serves Greeter to the host that launched it. */
public final class GreeterPlugin {
  public static void main(String[] args) {
    SpokePeer.serve(args, new Greeter());  // attach to the host's hub, say READY, serve until told to stop
  }
}
