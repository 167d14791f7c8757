package dev.spoke.testing;

import dev.spoke.CallContext;
import dev.spoke.DirectExecutor;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestResponse;
import dev.spoke.transport.Transport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The child process's half of {@link ChildServerSide}: serves a {@link TestService} (a {@link
 * LocalServerSide}) over each transport it is told to attach to, one attachment at a time, carries out
 * the commands that arrive on stdin, and reports on stdout what its {@code TestService} records.
 *
 * <p>Protocol, one line each way per message, strings in Base64:
 *
 * <ul>
 *   <li>Commands {@code <seq> <verb> <args…>} (ATTACH, ACTIVE, SERVED, SHUTDOWN, DRAINED, SHUTDOWN_NOW,
 *       SERVE, RESPOND, FAIL, COMPLETE, RUN and CLOSING of an {@link IsolationWorkload}, DUMP, DETACH,
 *       EXIT); each is answered {@code R <seq> <result>} or {@code X
 *       <seq> <status code, or -> <what was thrown>}.
 *   <li>Events {@code E <attachment> <kind> <args…>}: {@code HELD key request}, {@code BLOCKED key
 *       remainingNanos|-1}, {@code UNBLOCKED key code description}, {@code CANCEL_SEEN code description},
 *       {@code COUNTS addedTwice removed streamed running}, {@code HANDLER_ERROR text}.
 * </ul>
 *
 * <p>A transport module's child main supplies the {@link Attacher} and calls {@link #run}.
 */
public final class ServerSideProcess {

  /** Attaches to a transport as the server side, given the arguments of an ATTACH command. */
  public interface Attacher {
    Attached attach(List<String> args) throws Exception;
  }

  /** A transport attached to, not started, and what detaches it. */
  public static final class Attached {
    final Transport transport;
    final AutoCloseable detach;

    public Attached(Transport transport, AutoCloseable detach) {
      this.transport = transport;
      this.detach = detach;
    }
  }

  private static final PrintStream OUT = System.out;

  private final Attacher attacher;
  private volatile Attachment current;

  private ServerSideProcess(Attacher attacher) {
    this.attacher = attacher;
  }

  /** Serves commands from stdin until it ends or says EXIT, then exits the process. */
  public static void run(Attacher attacher) {
    int status = 0;
    try {
      new ServerSideProcess(attacher).loop();
    } catch (Throwable t) {
      t.printStackTrace(System.err);
      status = 2;
    }
    System.out.flush();
    System.exit(status);
  }

  static void say(String line) {
    synchronized (OUT) {
      OUT.println(line);
      OUT.flush();
    }
  }

  private static String b64(String s) {
    return ChildServerSide.b64(s);
  }

  private static String unb64(String s) {
    return ChildServerSide.unb64(s);
  }

  private void loop() throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    say("READY " + ProcessHandle.current().pid());
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.split(" ", -1);
      long seq = Long.parseLong(w[0]);
      String verb = w[1];
      if (verb.equals("EXIT")) {
        reply(seq, "");
        return;
      }
      try {
        if (verb.equals("RUN") && current != null) {
          // Known before the command's thread starts, so that a CLOSING right after it finds it.
          current.workload = IsolationWorkload.fromArguments(Arrays.asList(w).subList(2, w.length));
        }
        if (isSlow(verb)) {
          // Answered from a thread of its own, so that the commands after it go on meanwhile.
          Thread t = new Thread(() -> execute(seq, verb, w), "command-" + verb.toLowerCase() + "-" + seq);
          t.setDaemon(true);
          t.start();
        } else {
          execute(seq, verb, w);
        }
      } catch (Throwable t) {
        fail(seq, t);
      }
    }
  }

  private static boolean isSlow(String verb) {
    return verb.equals("DRAINED") || verb.equals("RUN") || verb.equals("DUMP");
  }

  private void execute(long seq, String verb, String[] w) {
    try {
      reply(seq, command(verb, w));
    } catch (Throwable t) {
      fail(seq, t);
    }
  }

  private static void reply(long seq, String result) {
    say("R " + seq + " " + result);
  }

  /** Answers a failed command with its status code when it failed with a status, and what it threw. */
  private static void fail(long seq, Throwable t) {
    System.err.println("command " + seq + " failed:");
    t.printStackTrace(System.err);
    String code = t instanceof StatusRuntimeException ? String.valueOf(((StatusRuntimeException) t).getStatus().getCode().value()) : "-";
    say("X " + seq + " " + code + " " + b64(String.valueOf(t)));
  }

  private String command(String verb, String[] w) throws Exception {
    Attachment a = current;
    switch (verb) {
      case "ATTACH": {
        if (a != null) {
          throw new IllegalStateException("attachment " + a.number + " is still open");
        }
        current = new Attachment(Integer.parseInt(w[2]), attacher.attach(Arrays.asList(w).subList(3, w.length)));
        return "";
      }
      case "DUMP":
        return b64(ThreadDump.all());
      default:
        break;
    }
    if (a == null) {
      throw new IllegalStateException(verb + " with no attachment");
    }
    switch (verb) {
      case "ACTIVE":
        return String.valueOf(a.side.activeCalls());
      case "SERVED":
        return String.valueOf(a.side.callsServed());
      case "SHUTDOWN":
        a.side.shutdown(unb64(w[2]));
        return "";
      case "DRAINED":
        return String.valueOf(a.side.awaitDrained(Long.parseLong(w[2]), TimeUnit.MILLISECONDS));
      case "SHUTDOWN_NOW":
        a.side.shutdownNow(Status.fromCodeValue(Integer.parseInt(w[2])).withDescription(unb64(w[3])));
        return "";
      case "SERVE":
        a.side.serve(ServerFixture.valueOf(w[2]));
        return "";
      case "RESPOND":
        a.held(w[2]).onNext(TestResponse.parseFrom(Base64.getDecoder().decode(w[3])));
        return "";
      case "FAIL":
        a.held(w[2]).onError(Status.fromCodeValue(Integer.parseInt(w[3])).withDescription(unb64(w[4])).asRuntimeException());
        return "";
      case "COMPLETE":
        a.held(w[2]).onCompleted();
        return "";
      case "RUN":
        return a.workload.run(a.side.connection().channel()).encode();
      case "CLOSING": {
        IsolationWorkload workload = a.workload;
        if (workload != null) {
          workload.closing();
        }
        return "";
      }
      case "DETACH":
        current = null;
        a.close();
        return "";
      default:
        throw new IllegalArgumentException("unknown command " + verb);
    }
  }

  /** One attachment: a server side over its transport, and the threads reporting what it records. */
  private static final class Attachment {
    final int number;
    final Attached attached;
    final TestService service = new TestService();
    final LocalServerSide side;
    final Map<String, StreamObserver<TestResponse>> held = new ConcurrentHashMap<>();
    final AtomicLong keys = new AtomicLong();
    final List<Thread> reporters = new ArrayList<>();
    /** The stress this side runs against the test's side (RUN), if any. */
    volatile IsolationWorkload workload;
    volatile boolean closed;

    Attachment(int number, Attached attached) {
      this.number = number;
      this.attached = attached;
      this.side = LocalServerSide.start(attached.transport, service);
      reporter("held", () -> {
        TestService.Held h = service.held.take();
        String key = String.valueOf(keys.incrementAndGet());
        held.put(key, h.observer);
        event("HELD " + key + " " + Base64.getEncoder().encodeToString(h.request.toByteArray()));
      });
      reporter("blocked", () -> {
        CallContext ctx = service.blocked.take();
        String key = String.valueOf(keys.incrementAndGet());
        event("BLOCKED " + key + " " + (ctx.getDeadline() == null ? -1 : Math.max(0, ctx.timeRemaining(TimeUnit.NANOSECONDS))));
        ctx.addCancellationListener(() -> {
          Status s = ctx.getCancellationStatus();
          event("UNBLOCKED " + key + " " + s.getCode().value() + " " + b64(s.getDescription()));
        }, DirectExecutor.INSTANCE);
      });
      reporter("cancellations", () -> {
        Status s = service.cancellationsSeen.take();
        event("CANCEL_SEEN " + s.getCode().value() + " " + b64(s.getDescription()));
      });
      reporter("counts", new Report() {
        String last = "";

        @Override
        public void next() {
          Throwable error;
          while ((error = service.handlerErrors.poll()) != null) {
            event("HANDLER_ERROR " + b64(String.valueOf(error)));
          }
          String counts = service.addedTwiceRuns.get() + " " + service.removedRuns.get() + " "
              + service.streamedRequests.get() + " " + service.running.get();
          if (!counts.equals(last)) {
            last = counts;
            event("COUNTS " + counts);
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
      });
    }

    StreamObserver<TestResponse> held(String key) {
      StreamObserver<TestResponse> o = held.get(key);
      if (o == null) {
        throw new IllegalArgumentException("no held call " + key);
      }
      return o;
    }

    void event(String what) {
      say("E " + number + " " + what);
    }

    interface Report {
      void next() throws Exception;
    }

    private void reporter(String name, Report report) {
      Thread t = new Thread(() -> {
        while (!closed) {
          try {
            report.next();
          } catch (InterruptedException e) {
            return;
          } catch (Exception e) {
            event("HANDLER_ERROR " + b64("reporter " + name + ": " + e));
          }
        }
      }, "report-" + name + "-" + number);
      t.setDaemon(true);
      reporters.add(t);
      t.start();
    }

    void close() throws Exception {
      closed = true;
      for (Thread t : reporters) {
        t.interrupt();
      }
      side.close();
      attached.detach.close();
    }
  }
}
