package dev.spoke.host;

import dev.spoke.StatusException;
import dev.spoke.transport.OutboundFrame;
import java.util.ArrayList;
import java.util.List;

/**
 * A plugin that takes every slot of at least the given size it can get and never sends them: frames
 * claimed, never committed. What it holds comes back only when it dies.
 */
public final class HoarderPlugin {
  public static void main(String[] args) throws Exception {
    RawPlugin p = RawPlugin.attach(args);
    int size = Integer.parseInt(p.arguments.remaining().get(0));
    List<OutboundFrame> hoard = new ArrayList<>();
    for (;;) {
      try {
        hoard.add(p.hub.transport().claim(size, System.nanoTime() + 20_000_000L));
      } catch (StatusException e) {
        break; // nothing left that fits
      }
    }
    System.err.println("hoarder: holding " + hoard.size() + " slots of at least " + size + " bytes");
    p.ready();
    Thread.sleep(Long.MAX_VALUE);
  }
}
