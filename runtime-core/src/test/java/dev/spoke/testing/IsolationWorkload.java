package dev.spoke.testing;

import com.google.protobuf.ByteString;
import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCallStreamObserver;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.ClientResponseObserver;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A stress of call isolation: threads making blocking and async calls of every shape to a {@link
 * TestService}, each with an id of its own that the server echoes, while another thread interrupts
 * them at random. Some requests are null, some deadlines a few milliseconds, some streams cancelled
 * part way; where the far side serves {@link ServerFixture#HOP} (and routes back to a side that does
 * too), some calls are re-entrant chains through handlers bound to a direct executor.
 *
 * <p>Every call must end with its own answer or with a status it has a reason for: {@code CANCELLED}
 * when it was interrupted or cancelled, {@code DEADLINE_EXCEEDED} when it had a short deadline, {@code
 * UNAVAILABLE} once the connection is closing. Another call's answer, a damaged payload, any other
 * status or exception, and a wait that does not end are counted, with the first few described.
 *
 * <p>The same workload runs in a child process against the test's own side ({@link #arguments()} and
 * {@link #fromArguments} carry it there, {@link Result#encode} brings its result back).
 */
public final class IsolationWorkload {

  /** Counted figures. */
  public static final String CALLS = "calls made";
  public static final String OWN_ANSWER = "calls answered with their own answer";
  public static final String MISATTRIBUTED = "answers that belonged to another call";
  public static final String UNCLEAR = "calls that ended without a reason of their own";
  public static final String HANGS = "calls that hung";
  public static final String CANCELLED = "calls cancelled by an interrupt or by their caller";
  public static final String DEADLINE = "calls ended by their short deadline";
  public static final String UNAVAILABLE = "calls ended UNAVAILABLE by the close";
  public static final String NULLS = "null requests refused";
  public static final String INTERRUPTS = "interrupts of calling threads";
  public static final String CHAINS = "re-entrant chains completed";
  public static final String STREAMS_CANCELLED = "streams cancelled part way";

  /** How long one call may take before it counts as hung (it is then abandoned). */
  private static final long CALL_BOUND_SECONDS = 60;

  private final int side;
  private final long seed;
  private final int threads;
  private final long callsPerThread;
  private final long millis;
  private final int maxChainDepth;
  private final boolean interrupts;
  private volatile boolean closing;
  private volatile boolean stopped;

  /**
   * @param side tells this side's ids from the other side's (0 to 255)
   * @param callsPerThread calls each thread makes, unless {@code millis} pass first
   * @param maxChainDepth hops of the deepest chain, 0 for none (the far side does not serve HOP)
   */
  public IsolationWorkload(int side, long seed, int threads, long callsPerThread, long millis, int maxChainDepth,
      boolean interrupts) {
    this.side = side;
    this.seed = seed;
    this.threads = threads;
    this.callsPerThread = callsPerThread;
    this.millis = millis;
    this.maxChainDepth = maxChainDepth;
    this.interrupts = interrupts;
  }

  /** The arguments that make the same workload with {@link #fromArguments}. */
  public String arguments() {
    return side + " " + seed + " " + threads + " " + callsPerThread + " " + millis + " " + maxChainDepth + " " + interrupts;
  }

  public static IsolationWorkload fromArguments(List<String> a) {
    return new IsolationWorkload(Integer.parseInt(a.get(0)), Long.parseLong(a.get(1)), Integer.parseInt(a.get(2)),
        Long.parseLong(a.get(3)), Long.parseLong(a.get(4)), Integer.parseInt(a.get(5)), Boolean.parseBoolean(a.get(6)));
  }

  /** From now on, UNAVAILABLE is a reason a call may end with, and a thread that meets it stops. */
  public void closing() {
    closing = true;
  }

  /** Asks every thread to stop after its current call. */
  public void stop() {
    stopped = true;
  }

  // ---------------------------------------------------------------------------------------------

  /** What a run counted, and the first problems it described. */
  public static final class Result {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private final AtomicLong described = new AtomicLong();

    void count(String figure) {
      add(figure, 1);
    }

    public void add(String figure, long n) {
      counts.computeIfAbsent(figure, k -> new AtomicLong()).addAndGet(n);
    }

    void problem(String figure, String what) {
      count(figure);
      if (described.incrementAndGet() <= 20) {
        problems.add(what);
      }
    }

    public long get(String figure) {
      AtomicLong n = counts.get(figure);
      return n == null ? 0 : n.get();
    }

    /** The problems described, at most 20. */
    public List<String> problems() {
      return new ArrayList<>(problems);
    }

    /** Adds another run's result to this one. */
    public void merge(Result other) {
      other.counts.forEach((k, v) -> add(k, v.get()));
      for (String p : other.problems) {
        if (described.incrementAndGet() <= 20) {
          problems.add(p);
        }
      }
    }

    /** Every count, sorted by name. */
    public Map<String, Long> counts() {
      Map<String, Long> m = new TreeMap<>();
      counts.forEach((k, v) -> m.put(k, v.get()));
      return m;
    }

    /** One line: the counts ({@code name:count,} with names in Base64), a space, then the problems. */
    public String encode() {
      StringBuilder sb = new StringBuilder();
      counts().forEach((k, v) -> sb.append(b64(k)).append(':').append(v).append(','));
      sb.append(' ').append(b64(String.join("\n", problems)));
      return sb.toString();
    }

    public static Result decode(String line) {
      Result r = new Result();
      String[] parts = line.split(" ", -1);
      for (String kv : parts[0].split(",")) {
        if (!kv.isEmpty()) {
          int colon = kv.indexOf(':');
          r.add(unb64(kv.substring(0, colon)), Long.parseLong(kv.substring(colon + 1)));
        }
      }
      String problems = parts.length > 1 ? unb64(parts[1]) : "";
      if (!problems.isEmpty()) {
        for (String p : problems.split("\n")) {
          r.problems.add(p);
          r.described.incrementAndGet();
        }
      }
      return r;
    }

    @Override
    public String toString() {
      return counts() + (problems.isEmpty() ? "" : "\nproblems:\n  " + String.join("\n  ", problems));
    }

    private static String b64(String s) {
      return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String s) {
      return new String(Base64.getDecoder().decode(s), StandardCharsets.UTF_8);
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** A calling thread, and the interrupts aimed at it (counted and sent under its lock). */
  private static final class Caller {
    final Thread thread;
    long interruptsSent;

    Caller(Thread thread) {
      this.thread = thread;
    }
  }

  /**
   * Runs the workload on {@code channel} and returns what it counted. Waits for every thread; a thread
   * that does not end within the bound counts as hung and the thread dump is among the problems.
   */
  public Result run(Channel channel) throws InterruptedException {
    Result result = new Result();
    List<Caller> callers = new ArrayList<>();
    long end = millis == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Caller[] self = new Caller[1];
      Thread th = new Thread(() -> callLoop(channel, thread, self[0], end, result), "isolation-" + side + "-" + t);
      self[0] = new Caller(th);
      callers.add(self[0]);
    }
    Thread interrupter = new Thread(() -> interruptAtRandom(callers, result), "interrupter-" + side);
    interrupter.setDaemon(true);
    callers.forEach(c -> c.thread.start());
    if (interrupts) {
      interrupter.start();
    }
    long bound = (millis == Long.MAX_VALUE ? 0 : millis) + TimeUnit.SECONDS.toMillis(2 * CALL_BOUND_SECONDS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(bound);
    boolean hung = false;
    for (Caller c : callers) {
      c.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      hung |= c.thread.isAlive();
    }
    stopped = true;
    interrupter.interrupt();
    interrupter.join(TimeUnit.SECONDS.toMillis(10));
    if (hung) {
      result.problem(HANGS, "calling threads did not end within " + bound + " ms:\n" + ThreadDump.all());
    }
    return result;
  }

  private void interruptAtRandom(List<Caller> callers, Result result) {
    Random rnd = new Random(seed ^ 0x5DEECE66DL);
    while (!stopped) {
      // A few interrupts per thread and second: most calls run their course, and many follow an
      // interrupted call on the same thread.
      LockSupport.parkNanos((1_000_000 + rnd.nextInt(4_000_000)) * 4L / Math.max(1, callers.size()));
      Caller c = callers.get(rnd.nextInt(callers.size()));
      synchronized (c) {
        c.interruptsSent++;
        c.thread.interrupt();
      }
      result.count(INTERRUPTS);
    }
  }

  /** What one call may end with besides its own answer. */
  private static final class Reasons {
    boolean deadline;
    boolean cancelledByCaller;
    /** The call was not meant to get an answer (a null request, a stream closed before reading). */
    boolean noAnswerAsked;
  }

  private void callLoop(Channel channel, int thread, Caller self, long end, Result result) {
    Random rnd = new Random(seed * 31 + thread);
    for (long i = 0; i < callsPerThread && !stopped && System.nanoTime() - end < 0; i++) {
      long id = ((long) side << 56) | ((long) thread << 44) | (i << 8);
      long before;
      synchronized (self) {
        Thread.interrupted(); // an interrupt that came between calls belongs to none of them
        before = self.interruptsSent;
      }
      Reasons reasons = new Reasons();
      String outcome = null;
      Status status = null;
      Throwable thrown = null;
      int action = rnd.nextInt(maxChainDepth > 0 ? 12 : 10);
      try {
        outcome = call(channel, action, id, rnd, reasons, result);
      } catch (StatusRuntimeException e) {
        status = e.getStatus();
      } catch (Throwable e) {
        thrown = e;
      }
      boolean interrupted;
      synchronized (self) {
        interrupted = self.interruptsSent != before;
      }
      result.count(CALLS);
      if (thrown != null) {
        result.problem(UNCLEAR, "call " + Long.toHexString(id) + " (action " + action + ") threw " + describe(thrown));
      } else if (status != null) {
        Status.Code code = status.getCode();
        if (code == Status.Code.CANCELLED && (interrupted || reasons.cancelledByCaller)) {
          result.count(CANCELLED);
        } else if (code == Status.Code.DEADLINE_EXCEEDED && reasons.deadline) {
          result.count(DEADLINE);
        } else if (code == Status.Code.UNAVAILABLE && closing) {
          result.count(UNAVAILABLE);
          return; // the connection is gone: this thread is done
        } else if (code == Status.Code.INTERNAL && String.valueOf(status.getDescription()).contains("more than one response")) {
          result.problem(MISATTRIBUTED, "call " + Long.toHexString(id) + " (action " + action + "): " + status);
        } else {
          result.problem(UNCLEAR, "call " + Long.toHexString(id) + " (action " + action + ", interrupted " + interrupted
              + ", closing " + closing + ") ended " + status);
          if (closing) {
            return; // the close went wrong for this thread; its later calls would only repeat it
          }
        }
      } else if (outcome != null) {
        result.problem(outcome.startsWith("hung") ? HANGS : MISATTRIBUTED,
            "call " + Long.toHexString(id) + " (action " + action + "): " + outcome);
      } else if (!reasons.noAnswerAsked) {
        result.count(OWN_ANSWER);
      }
    }
  }

  private static String describe(Throwable t) {
    StringBuilder sb = new StringBuilder(String.valueOf(t));
    StackTraceElement[] st = t.getStackTrace();
    for (int k = 0; k < Math.min(6, st.length); k++) {
      sb.append("\n      at ").append(st[k]);
    }
    return sb.toString();
  }

  /**
   * Makes one call of kind {@code action}; returns null if it ended with its own answer, or what was
   * wrong with the answer. A status the call ended with is thrown as a StatusRuntimeException.
   */
  private String call(Channel ch, int action, long id, Random rnd, Reasons reasons, Result result) throws Exception {
    CallOptions plain = CallOptions.DEFAULT;
    switch (action) {
      case 0:
      case 1: { // blocking unary, payloads of every size class, sometimes a slow handler
        int size = payloadSize(rnd);
        TestRequest r = TestRequest.newBuilder().setId(id).setPayload(TestService.pattern(id, size))
            .setSleepMillis(rnd.nextInt(20) == 0 ? 1 : 0).build();
        return checkUnary(ClientCalls.blockingUnaryCall(ch, TestService.UNARY, plain, r), id, size);
      }
      case 2: { // async unary
        int size = payloadSize(rnd);
        TestRequest r = TestRequest.newBuilder().setId(id).setPayload(TestService.pattern(id, size)).build();
        CompletableFuture<TestResponse> f = ClientCalls.futureUnaryCall(ch.newCall(TestService.UNARY, plain), r);
        TestResponse answer = await(f, reasons);
        return answer == null ? "hung: no answer within " + CALL_BOUND_SECONDS + " s" : checkUnary(answer, id, size);
      }
      case 3: { // a null request, blocking or async: refused on that call only
        try {
          if (rnd.nextBoolean()) {
            ClientCalls.blockingUnaryCall(ch, TestService.UNARY, plain, null);
          } else {
            ClientCalls.futureUnaryCall(ch.newCall(TestService.UNARY, plain), null);
          }
        } catch (NullPointerException expected) {
          result.count(NULLS);
          reasons.noAnswerAsked = true;
          return null;
        }
        return "a null request was not refused";
      }
      case 4: { // a deadline of a few milliseconds, blocking or async
        reasons.deadline = true;
        CallOptions shortly = plain.withDeadlineAfter(rnd.nextInt(4), TimeUnit.MILLISECONDS);
        TestRequest r = TestRequest.newBuilder().setId(id).setSleepMillis(rnd.nextInt(3)).build();
        if (rnd.nextBoolean()) {
          return checkUnary(ClientCalls.blockingUnaryCall(ch, TestService.UNARY, shortly, r), id, 0);
        }
        TestResponse answer = await(ClientCalls.futureUnaryCall(ch.newCall(TestService.UNARY, shortly), r), reasons);
        return answer == null ? "hung: no answer within " + CALL_BOUND_SECONDS + " s" : checkUnary(answer, id, 0);
      }
      case 5:
      case 6: { // a blocking server stream, read in part or whole, then closed
        int count = 1 + rnd.nextInt(20);
        int read = rnd.nextInt(count + 1);
        TestRequest r = TestRequest.newBuilder().setId(id).setResponseCount(count).setResponseSize(rnd.nextInt(3) * 100).build();
        reasons.cancelledByCaller = read < count;
        try (BlockingResponseStream<TestResponse> it = ClientCalls.blockingServerStreamingCall(ch, TestService.SERVER_STREAM, plain, r)) {
          for (int j = 0; j < read; j++) {
            if (!it.hasNext()) {
              return "the stream ended OK after " + j + " of " + count;
            }
            String bad = checkElement(it.next(), r, j);
            if (bad != null) {
              return bad;
            }
          }
        }
        if (read < count) {
          result.count(STREAMS_CANCELLED);
        }
        reasons.noAnswerAsked = read == 0;
        return null;
      }
      case 7: { // an async server stream, cancelled part way more often than not
        int count = 1 + rnd.nextInt(30);
        int cancelAt = rnd.nextInt(count + 10);
        TestRequest r = TestRequest.newBuilder().setId(id).setResponseCount(count).build();
        StreamCheck check = new StreamCheck(r, cancelAt);
        ClientCalls.asyncServerStreamingCall(ch.newCall(TestService.SERVER_STREAM, plain), r, check);
        return check.await(reasons, result);
      }
      case 8:
      case 9: { // bidi: several requests, each answered in order; sometimes cancelled part way
        int k = 1 + rnd.nextInt(10);
        int cancelAt = rnd.nextInt(4) == 0 ? rnd.nextInt(k) : Integer.MAX_VALUE;
        StreamCheck check = new StreamCheck(null, cancelAt);
        StreamObserver<TestRequest> requests = ClientCalls.asyncBidiStreamingCall(ch.newCall(TestService.BIDI, plain), check);
        for (int j = 0; j < k; j++) {
          TestRequest r = TestRequest.newBuilder().setId(id + j).setResponseCount(1).build();
          check.expect(r);
          requests.onNext(r);
        }
        requests.onCompleted();
        return check.await(reasons, result);
      }
      default: { // a re-entrant chain through direct handlers on both sides, blocking or async
        int depth = 1 + rnd.nextInt(maxChainDepth);
        TestRequest r = TestRequest.newBuilder().setId(id).setResponseCount(depth).build();
        CallOptions bounded = plain.withDeadlineAfter(CALL_BOUND_SECONDS / 2, TimeUnit.SECONDS);
        TestResponse answer = action == 10
            ? ClientCalls.blockingUnaryCall(ch, ServerFixture.RELAY, bounded, r)
            : await(ClientCalls.futureUnaryCall(ch.newCall(ServerFixture.RELAY, bounded), r), reasons);
        if (answer == null) {
          return "hung: no answer within " + CALL_BOUND_SECONDS + " s";
        }
        if (answer.getId() != id || answer.getIndex() != depth) {
          return "a chain of " + depth + " answered id " + Long.toHexString(answer.getId()) + " after " + answer.getIndex() + " hops";
        }
        result.count(CHAINS);
        return null;
      }
    }
  }

  private static int payloadSize(Random rnd) {
    int k = rnd.nextInt(100);
    return k < 50 ? rnd.nextInt(16) : k < 85 ? rnd.nextInt(2000) : k < 98 ? 2000 + rnd.nextInt(60_000) : 200_000 + rnd.nextInt(100_000);
  }

  private static String checkUnary(TestResponse answer, long id, int size) {
    if (answer.getId() != id) {
      return "got the answer of call " + Long.toHexString(answer.getId());
    }
    if (answer.getPayload().size() != size || !answer.getPayload().equals(TestService.pattern(id, size))) {
      return "its own id, but a payload of " + answer.getPayload().size() + " bytes that is not its own " + size;
    }
    return null;
  }

  private static String checkElement(TestResponse x, TestRequest r, int index) {
    if (x.getId() != r.getId() || x.getIndex() != index) {
      return "stream element " + index + " was " + Long.toHexString(x.getId()) + "#" + x.getIndex();
    }
    ByteString expected = r.getResponseSize() > 0 ? TestService.pattern(r.getId() + index, r.getResponseSize()) : r.getPayload();
    return x.getPayload().equals(expected) ? null : "stream element " + index + " carried another element's bytes";
  }

  /**
   * Waits for a future within the bound; an interrupt of the waiting thread cancels the call. Returns
   * null if it did not end in time.
   */
  private static <T> T await(CompletableFuture<T> f, Reasons reasons) throws Exception {
    try {
      return f.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      reasons.cancelledByCaller = true;
      f.cancel(true);
      throw Status.CANCELLED.withDescription("the waiting thread was interrupted").asRuntimeException();
    } catch (CancellationException e) {
      throw Status.CANCELLED.withDescription("cancelled").asRuntimeException();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Exception) {
        throw (Exception) e.getCause();
      }
      throw e;
    } catch (TimeoutException e) {
      f.cancel(true);
      return null;
    }
  }

  /** Waits for {@code f} within the bound whatever interrupts come meanwhile; null if it did not end. */
  private static <T> T awaitIgnoringInterrupts(CompletableFuture<T> f) throws ExecutionException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CALL_BOUND_SECONDS);
    for (;;) {
      try {
        return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException again) {
        continue; // the interrupter aims at this thread's calls, and this one is cancelled already
      } catch (TimeoutException e) {
        return null;
      }
    }
  }

  /** Checks an async stream's elements as they come, and cancels it after {@code cancelAt} of them. */
  private static final class StreamCheck implements ClientResponseObserver<TestRequest, TestResponse> {
    private final TestRequest serverStreamRequest;
    private final int cancelAt;
    private final List<TestRequest> bidiRequests = new ArrayList<>();
    private final CompletableFuture<Status> done = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<TestRequest> requests;
    private volatile String bad;
    private int received;
    private volatile boolean cancelled;

    StreamCheck(TestRequest serverStreamRequest, int cancelAt) {
      this.serverStreamRequest = serverStreamRequest;
      this.cancelAt = cancelAt;
    }

    synchronized void expect(TestRequest r) {
      bidiRequests.add(r);
    }

    private synchronized int expectedBidi() {
      return bidiRequests.size();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<TestRequest> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public synchronized void onNext(TestResponse x) {
      String wrong;
      if (serverStreamRequest != null) {
        wrong = checkElement(x, serverStreamRequest, received);
      } else {
        TestRequest r = received < bidiRequests.size() ? bidiRequests.get(received) : null;
        wrong = r == null ? "a bidi answer " + Long.toHexString(x.getId()) + " to no request"
            : x.getId() != r.getId() ? "bidi answer " + received + " was " + Long.toHexString(x.getId()) : null;
      }
      if (wrong != null && bad == null) {
        bad = wrong;
      }
      if (++received == cancelAt && !cancelled) {
        cancelled = true;
        requests.cancel("the caller cancels part way", null);
      }
    }

    @Override
    public void onError(Throwable t) {
      done.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      done.complete(Status.OK);
    }

    String await(Reasons reasons, Result result) throws Exception {
      Status s;
      try {
        s = done.get(CALL_BOUND_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        reasons.cancelledByCaller = true;
        requests.cancel("the waiting thread was interrupted", e);
        s = awaitIgnoringInterrupts(done);
        if (s == null) {
          return "hung: the stream did not end within " + CALL_BOUND_SECONDS + " s of its cancel";
        }
      } catch (TimeoutException e) {
        requests.cancel("the stream hung", null);
        return "hung: the stream did not end within " + CALL_BOUND_SECONDS + " s after " + received + " elements";
      }
      if (bad != null) {
        return bad;
      }
      if (cancelled) {
        // NOTE: the cancel ran in onNext, before the call's close completed `done` on the same executor.
        reasons.cancelledByCaller = true;
        result.count(STREAMS_CANCELLED);
      }
      if (!s.isOk()) {
        throw s.asRuntimeException();
      }
      int expected = serverStreamRequest != null ? serverStreamRequest.getResponseCount() : expectedBidi();
      if (!cancelled && received != expected) {
        return "the stream ended OK after " + received + " of " + expected + " elements";
      }
      return null;
    }
  }
}
