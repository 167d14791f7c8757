package dev.spoke.host;

import dev.spoke.StatusException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.HostCallbacksSpoke;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.OutboundFrame;
import java.nio.ByteBuffer;
import java.util.Random;

/**
 * A plugin that sends well-formed descriptors full of nonsense at the call layer: every frame kind with
 * random call ids, method ids (real ones too, with payloads that are not their messages), flags,
 * statuses, credits and payloads. The transport accepts them; the host's call layer must refuse or drop
 * every one without harm. Prints "SENT n" when done, then stays until its host goes.
 */
public final class GarbagePlugin {
  public static void main(String[] args) throws Exception {
    RawPlugin p = RawPlugin.attach(args);
    p.ready();
    int n = Integer.parseInt(p.arguments.remaining().get(0));
    Random rnd = new Random(Long.parseLong(p.arguments.remaining().get(1)));
    int[] realMethods = {
      HostCallbacksSpoke.getReverseMethod().getMethodId(),
      HostCallbacksSpoke.getReportMethod().getMethodId(),
      HostCallbacksSpoke.getRelayMethod().getMethodId(),
      EchoSpoke.getUnaryMethod().getMethodId(),
    };
    FrameKind[] kinds = FrameKind.values();
    for (int i = 0; i < n; i++) {
      int size = rnd.nextInt(8) == 0 ? rnd.nextInt(5000) : rnd.nextInt(40);
      OutboundFrame f;
      try {
        f = p.hub.transport().claim(size, System.nanoTime() + 5_000_000_000L);
      } catch (StatusException e) {
        System.out.println("FAIL claim: " + e.getStatus());
        return;
      }
      ByteBuffer payload = f.payload();
      byte[] junk = new byte[size];
      rnd.nextBytes(junk);
      payload.put(junk);
      f.header().clear()
          .kind(kinds[rnd.nextInt(kinds.length)])
          .flags(rnd.nextInt(FrameHeader.KNOWN_FLAGS + 1))
          .callId(rnd.nextBoolean() ? 1 + rnd.nextInt(64) : rnd.nextLong())
          .methodId(rnd.nextBoolean() ? realMethods[rnd.nextInt(realMethods.length)] : rnd.nextInt())
          .status(rnd.nextInt(40) - 5)
          .credits(rnd.nextInt(100) - 20)
          .timeoutNanos(rnd.nextBoolean() ? 0 : rnd.nextLong());
      f.commit();
    }
    System.out.println("SENT " + n);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
