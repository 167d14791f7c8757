package dev.spoke.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.spoke.CallContext;
import dev.spoke.Deadline;
import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A server side that runs in a child process ({@link ServerSideProcess}), seen from the test: its
 * commands go to the child on stdin, and what the child's {@code TestService} records arrives on
 * stdout and is put into the test's own {@code TestService}, so that tests written for a server in
 * their JVM read it unchanged: held calls are completed in the child, blocked calls' contexts say what
 * the child's say, the counters follow the child's (within milliseconds).
 *
 * <p>One child process serves many attachments, one after the other ({@link ServerProcess}).
 */
public final class ChildServerSide implements ServerSide {

  /** How long a command may take the child before the test calls it hung. */
  private static final long COMMAND_SECONDS = 30;

  private final ServerProcess process;
  private final int number;
  private final TestService mirror;
  private final Map<String, RemoteContext> contexts = new ConcurrentHashMap<>();

  private ChildServerSide(ServerProcess process, int number, TestService mirror) {
    this.process = process;
    this.number = number;
    this.mirror = mirror;
  }

  // ---------------------------------------------------------------------------------------------
  // ServerSide

  @Override
  public int activeCalls() {
    return Integer.parseInt(process.request("ACTIVE", COMMAND_SECONDS));
  }

  @Override
  public long callsServed() {
    return Long.parseLong(process.request("SERVED", COMMAND_SECONDS));
  }

  @Override
  public void shutdown(String reason) {
    process.request("SHUTDOWN " + b64(reason), COMMAND_SECONDS);
  }

  @Override
  public boolean awaitDrained(long timeout, TimeUnit unit) {
    long millis = unit.toMillis(timeout);
    return Boolean.parseBoolean(process.request("DRAINED " + millis, TimeUnit.MILLISECONDS.toSeconds(millis) + COMMAND_SECONDS));
  }

  @Override
  public void shutdownNow(Status status) {
    process.request("SHUTDOWN_NOW " + status.getCode().value() + " " + b64(status.getDescription()), COMMAND_SECONDS);
  }

  @Override
  public void serve(ServerFixture fixture) {
    process.request("SERVE " + fixture.name(), COMMAND_SECONDS);
  }

  /** Runs {@code workload} in the child, against this side's connection; waits for its result. */
  public IsolationWorkload.Result run(IsolationWorkload workload, long timeoutSeconds) {
    return IsolationWorkload.Result.decode(process.request("RUN " + workload.arguments(), timeoutSeconds));
  }

  /** Tells the workload running in the child that the connection is about to close. */
  public void closing() {
    process.request("CLOSING", COMMAND_SECONDS);
  }

  /** Detaches: the child shuts its connection down and lets go of the transport. */
  @Override
  public void close() {
    try {
      process.request("DETACH", COMMAND_SECONDS);
    } finally {
      process.current = null;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Events from the child

  private void onEvent(String[] w) throws InvalidProtocolBufferException {
    switch (w[2]) {
      case "HELD":
        mirror.held.add(new TestService.Held(TestRequest.parseFrom(Base64.getDecoder().decode(w[4])), new HeldObserver(w[3])));
        break;
      case "BLOCKED": {
        long remaining = Long.parseLong(w[4]);
        RemoteContext ctx = new RemoteContext(remaining < 0 ? null : Deadline.after(remaining, TimeUnit.NANOSECONDS));
        contexts.put(w[3], ctx);
        mirror.blocked.add(ctx);
        break;
      }
      case "UNBLOCKED":
        contexts.get(w[3]).cancelled(status(w[4], w[5]));
        break;
      case "CANCEL_SEEN":
        mirror.cancellationsSeen.add(status(w[3], w[4]));
        break;
      case "COUNTS":
        mirror.addedTwiceRuns.set(Integer.parseInt(w[3]));
        mirror.removedRuns.set(Integer.parseInt(w[4]));
        mirror.streamedRequests.set(Integer.parseInt(w[5]));
        mirror.running.set(Integer.parseInt(w[6]));
        break;
      case "HANDLER_ERROR":
        mirror.handlerErrors.add(new AssertionError("in the server process: " + unb64(w[3])));
        break;
      default:
        mirror.handlerErrors.add(new AssertionError("unknown event from the server process: " + String.join(" ", w)));
    }
  }

  private static Status status(String code, String description) {
    return Status.fromCodeValue(Integer.parseInt(code)).withDescription(unb64(description));
  }

  static String b64(String s) {
    return s == null ? "-" : Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static String unb64(String s) {
    return s.equals("-") ? null : new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
  }

  /** A held call's observer: what the test sends it goes to the held call in the child. */
  private final class HeldObserver implements StreamObserver<TestResponse> {
    private final String key;

    HeldObserver(String key) {
      this.key = key;
    }

    // Each waits for the child, and throws what the held call's observer threw there (for one, that the
    // call was cancelled meanwhile), as it would have in this JVM.

    @Override
    public void onNext(TestResponse value) {
      process.request("RESPOND " + key + " " + Base64.getEncoder().encodeToString(value.toByteArray()), COMMAND_SECONDS);
    }

    @Override
    public void onError(Throwable t) {
      Status s = t instanceof StatusRuntimeException ? ((StatusRuntimeException) t).getStatus() : Status.fromThrowable(t);
      process.request("FAIL " + key + " " + s.getCode().value() + " " + b64(s.getDescription()), COMMAND_SECONDS);
    }

    @Override
    public void onCompleted() {
      process.request("COMPLETE " + key, COMMAND_SECONDS);
    }
  }

  /** The context of a call blocked in the child, as far as the child reported it. */
  private static final class RemoteContext extends CallContext {
    private final Deadline deadline;

    RemoteContext(Deadline deadline) {
      this.deadline = deadline;
    }

    @Override
    public String getMethodName() {
      throw notHere("its method name");
    }

    @Override
    public String getPeer() {
      throw notHere("its peer");
    }

    @Override
    public Deadline getDeadline() {
      return deadline;
    }

    @Override
    public Metadata getHeaders() {
      throw notHere("its headers");
    }

    @Override
    public Metadata getTrailers() {
      throw notHere("its trailers");
    }

    /** The child reported the call cancelled. */
    void cancelled(Status status) {
      cancel(status, dev.spoke.DirectExecutor.INSTANCE);
    }

    private static UnsupportedOperationException notHere(String what) {
      return new UnsupportedOperationException(what + " of a call served in another process are not reported");
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** A child JVM running {@link ServerSideProcess}: serves one attachment at a time. */
  public static final class ServerProcess implements AutoCloseable {
    private final ChildJvm jvm;
    private final Map<Long, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final Thread pump;
    private volatile ChildServerSide current;
    private volatile String ended;
    private int attachments;

    private ServerProcess(ChildJvm jvm) {
      this.jvm = jvm;
      this.pump = new Thread(this::pump, "server-process-pump");
      pump.setDaemon(true);
      pump.start();
    }

    /** Starts {@code main} (which runs {@link ServerSideProcess#run}) in a child JVM. */
    public static ServerProcess start(Class<?> main, String... args) throws Exception {
      ChildJvm jvm = ChildJvm.start(main, args);
      try {
        jvm.awaitLine("READY", 60, TimeUnit.SECONDS);
      } catch (AssertionError | InterruptedException e) {
        jvm.close();
        throw e;
      }
      return new ServerProcess(jvm);
    }

    /**
     * Has the child serve {@code mirror}'s methods over the transport that {@code attachArguments}
     * name; what its service records goes into {@code mirror}.
     */
    public ChildServerSide attach(TestService mirror, String... attachArguments) {
      if (current != null) {
        throw new IllegalStateException("attachment " + current.number + " is still open");
      }
      int n = ++attachments;
      ChildServerSide side = new ChildServerSide(this, n, mirror);
      current = side;
      request("ATTACH " + n + " " + String.join(" ", attachArguments), COMMAND_SECONDS);
      return side;
    }

    public long pid() {
      return jvm.pid();
    }

    public boolean isAlive() {
      return jvm.isAlive() && ended == null;
    }

    /** The child's threads and the last lines of its stderr, for the report of a hang or a failure. */
    public String threadDump() {
      String dump;
      try {
        dump = unb64(request("DUMP", 10));
      } catch (RuntimeException | AssertionError e) {
        dump = "(no thread dump from the server process: " + e + ")";
      }
      return dump + "\nthe server process's stderr, last lines:\n" + jvm.stderr();
    }

    /** Sends a command and waits for its answer; a failure or a missing answer fails the test. */
    String request(String command, long timeoutSeconds) {
      long seq = sequence.incrementAndGet();
      CompletableFuture<String> answer = new CompletableFuture<>();
      pending.put(seq, answer);
      try {
        if (ended != null) {
          throw new AssertionError("the server process is gone (" + ended + "); cannot " + command + "\n" + jvm.stderr());
        }
        send(seq + " " + command);
        return answer.get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof StatusRuntimeException) {
          throw (StatusRuntimeException) e.getCause(); // what the command threw in the child
        }
        throw new AssertionError("the server process failed " + command + ": " + e.getCause().getMessage()
            + "\nits stderr:\n" + jvm.stderr(), e.getCause());
      } catch (TimeoutException e) {
        throw new AssertionError("the server process did not answer " + command + " within " + timeoutSeconds + " s"
            + "\nits stderr:\n" + jvm.stderr());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for the server process to answer " + command, e);
      } finally {
        pending.remove(seq);
      }
    }

    private void send(String line) {
      synchronized (jvm) {
        try {
          jvm.send(line);
        } catch (IOException e) {
          throw new AssertionError("cannot write to the server process (" + e + ")\nits stderr:\n" + jvm.stderr(), e);
        }
      }
    }

    private void pump() {
      try {
        for (;;) {
          String line = jvm.pollLine(100, TimeUnit.MILLISECONDS);
          if (line == null) {
            if (!jvm.isAlive()) {
              line = jvm.pollLine(200, TimeUnit.MILLISECONDS); // the last lines may still be on their way
              if (line == null) {
                end("it exited");
                return;
              }
            } else {
              continue;
            }
          }
          dispatch(line);
        }
      } catch (InterruptedException e) {
        end("its pump was interrupted");
      } catch (RuntimeException e) {
        end("its pump failed: " + e);
      }
    }

    private void dispatch(String line) {
      String[] w = line.split(" ", -1);
      switch (w[0]) {
        case "R": {
          CompletableFuture<String> f = pending.get(Long.parseLong(w[1]));
          if (f != null) {
            f.complete(w.length > 2 ? line.substring(line.indexOf(' ', 2) + 1) : "");
          }
          break;
        }
        case "X": {
          CompletableFuture<String> f = pending.get(Long.parseLong(w[1]));
          String why = unb64(w[3]);
          if (f != null) {
            f.completeExceptionally(w[2].equals("-") ? new IllegalStateException(why)
                : Status.fromCodeValue(Integer.parseInt(w[2])).withDescription("in the server process: " + why)
                    .asRuntimeException());
          } else {
            ChildServerSide side = current;
            if (side != null) {
              side.mirror.handlerErrors.add(new AssertionError("in the server process: " + why));
            }
          }
          break;
        }
        case "E": {
          ChildServerSide side = current;
          if (side != null && side.number == Integer.parseInt(w[1])) {
            try {
              side.onEvent(w);
            } catch (InvalidProtocolBufferException | RuntimeException e) {
              side.mirror.handlerErrors.add(new AssertionError("bad event from the server process: " + line, e));
            }
          } // else: late news of an attachment that is over
          break;
        }
        default:
          break; // stray output
      }
    }

    private void end(String why) {
      ended = why;
      for (CompletableFuture<String> f : pending.values()) {
        f.completeExceptionally(new IllegalStateException("the server process " + why));
      }
    }

    /** Asks the child to exit; kills it if it does not within 10 s. */
    @Override
    public void close() throws InterruptedException {
      try {
        if (isAlive()) {
          request("EXIT", 10);
          jvm.waitFor(10, TimeUnit.SECONDS);
        }
      } catch (AssertionError e) {
        // it is killed below
      } finally {
        jvm.close();
        pump.interrupt();
      }
    }
  }
}
