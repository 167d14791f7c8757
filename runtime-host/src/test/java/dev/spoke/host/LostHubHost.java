package dev.spoke.host;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import dev.spoke.shm.HubConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A host in its own process whose hub is a plain file, for the tests that truncate or replace that file
 * (a test process must not map a file that is about to be truncated under it). It launches one echo
 * plugin, prints {@code HUB <file> <plugin pid>}, and has two threads call it without pause, each
 * response checked byte for byte; {@code CALLING} once calls succeed. Every outcome is counted: answered
 * right, failed {@code UNAVAILABLE} saying the hub is lost (the first prints {@code LOST <description>}),
 * failed otherwise, or a raw throwable (an {@link InternalError} among them). On stdin, {@code REPORT}
 * prints the counts; {@code CLOSE} stops the callers, closes the host and prints {@code CLOSED} (or
 * {@code CLOSE-THREW} and what), then the process exits. Argument: the hub directory.
 */
public final class LostHubHost {

  public static void main(String[] args) throws Exception {
    HubConfig config = HubConfig.builder()
        .directory(Path.of(args[0]))
        .sealedMemory(false)
        .heartbeatInterval(Duration.ofMillis(500))
        .build();
    SpokeHost host = SpokeHost.builder().hubConfig(config).addService(new TestCallbacks()).build();
    Plugin plugin = host.launch(PluginSpec.java("steady", EchoPlugin.class).jvmArgs("-Xmx128m", "-XX:+UseSerialGC")
        .restartPolicy(RestartPolicy.never()).build());
    say("HUB " + host.hubPath() + " " + plugin.pid());

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    AtomicLong lost = new AtomicLong();
    AtomicLong other = new AtomicLong();
    AtomicLong raw = new AtomicLong();
    AtomicLong rawOutside = new AtomicLong();
    AtomicReference<String> firstOther = new AtomicReference<>("");
    AtomicReference<String> firstRaw = new AtomicReference<>("");
    List<Thread> callers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int seed = t;
      Thread caller = new Thread(() -> {
        Random rnd = new Random(seed);
        for (long i = 0; !stop.get(); i++) {
          long id = ((long) seed << 40) | i;
          Payload sent = HostPluginTest.payload(id, rnd.nextInt(8) == 0 ? 100_000 : rnd.nextInt(3000), rnd);
          try {
            Payload got = EchoSpoke.newBlockingStub(plugin.channel()).withDeadlineAfter(5, TimeUnit.SECONDS).unary(sent);
            if (got.equals(sent)) {
              if (ok.incrementAndGet() == 100) {
                say("CALLING");
              }
            } else {
              other.incrementAndGet();
              firstOther.compareAndSet("", "call " + id + " came back damaged");
            }
          } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            if (s.getCode() == Status.Code.UNAVAILABLE && s.getDescription() != null
                && s.getDescription().contains("the hub is lost")) {
              if (lost.incrementAndGet() == 1) {
                say("LOST " + s.getDescription());
              }
              pause(); // the hub is gone: later calls fail at once, and need not spin
            } else {
              other.incrementAndGet();
              firstOther.compareAndSet("", s.toString());
            }
          } catch (Throwable x) {
            // NOTE: HotSpot raises a fault of a mapped-memory access at the thread's next transition into
            // the VM, which may come after the runtime's code returned, in this loop's own code (an
            // allocation, say): there no library can take it. Such a fault is counted apart; one thrown
            // out of the runtime's code is the runtime's failure.
            boolean fromRuntime = java.util.Arrays.stream(x.getStackTrace()).map(StackTraceElement::getClassName)
                .anyMatch(c -> c.startsWith("dev.spoke.") && !c.startsWith("dev.spoke.it.") // the test's messages and stubs
                    && !c.startsWith("dev.spoke.host.LostHubHost") && !c.startsWith("dev.spoke.host.HostPluginTest"));
            if (!fromRuntime && x instanceof InternalError) {
              rawOutside.incrementAndGet();
              pause();
              continue;
            }
            raw.incrementAndGet();
            // Where it came from, in one word of the report line.
            StringBuilder where = new StringBuilder(x.toString().replace(' ', '_'));
            StackTraceElement[] frames = x.getStackTrace();
            for (int f = 0; f < Math.min(12, frames.length); f++) {
              where.append("<-").append(frames[f]);
            }
            firstRaw.compareAndSet("", where.toString());
            pause();
          }
        }
      }, "caller-" + t);
      caller.setDaemon(true);
      callers.add(caller);
      caller.start();
    }

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("REPORT")) {
        PluginExit exit = plugin.lastExit();
        say("REPORT ok=" + ok.get() + " lost=" + lost.get() + " other=" + other.get() + " raw=" + raw.get() + " raw-outside=" + rawOutside.get()
            + " plugin-exit=" + (exit == null ? "none" : String.valueOf(exit.status())) + " plugin-state=" + plugin.state()
            + " first-other=" + firstOther.get() + " first-raw=" + firstRaw.get());
      } else if (line.equals("CLOSE")) {
        stop.set(true);
        for (Thread c : callers) {
          c.join(10_000);
        }
        try {
          host.close();
          say("CLOSED");
        } catch (Throwable t) {
          say("CLOSE-THREW " + t);
        }
        System.exit(0);
      }
    }
  }

  private static void pause() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void say(String line) {
    synchronized (System.out) {
      System.out.println(line);
      System.out.flush();
    }
  }
}
