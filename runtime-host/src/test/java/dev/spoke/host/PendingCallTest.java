package dev.spoke.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.Metadata;
import dev.spoke.MethodDescriptor;
import dev.spoke.Status;
import dev.spoke.internal.ThreadlessExecutor;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Payload;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The ordering and one-outcome promises of a wait-for-ready call, with the plugin becoming ready (or
 * failing) on another thread at every possible moment.
 */
class PendingCallTest {

  private static final int ROUNDS = 10_000;
  private static final MethodDescriptor<Payload, Payload> METHOD = EchoSpoke.getBidiMethod();
  private static final Payload[] MESSAGES = {
      Payload.newBuilder().setId(1).build(), Payload.newBuilder().setId(2).build(), Payload.newBuilder().setId(3).build()};

  /** A real call that records what reaches it. */
  private static final class RecordingCall extends ClientCall<Payload, Payload> {
    final List<String> ops = Collections.synchronizedList(new ArrayList<>());
    volatile Thread createdOn;

    @Override
    public void start(Listener<Payload> listener, Metadata headers) {
      ops.add("start");
    }

    @Override
    public void request(int numMessages) {
      ops.add("request " + numMessages);
    }

    @Override
    public void sendMessage(Payload message) {
      ops.add("send " + message.getId());
    }

    @Override
    public void halfClose() {
      ops.add("halfClose");
    }

    @Override
    public void cancel(String message, Throwable cause) {
      ops.add("cancel");
    }

    @Override
    public boolean isReady() {
      return true;
    }
  }

  private static final class OneCallChannel extends Channel {
    final RecordingCall call = new RecordingCall();
    final AtomicInteger calls = new AtomicInteger();

    @Override
    @SuppressWarnings("unchecked")
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
      calls.incrementAndGet();
      call.createdOn = Thread.currentThread();
      return (ClientCall<ReqT, RespT>) call;
    }

    @Override
    public String authority() {
      return "test";
    }
  }

  private static final class ClosingListener extends ClientCall.Listener<Payload> {
    final List<Status> closes = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onClose(Status status, Metadata trailers) {
      closes.add(status);
    }
  }

  private static PendingCall<Payload, Payload> pending(CallOptions options, AtomicInteger settled) {
    return new PendingCall<>(METHOD, options, Runnable::run, c -> settled.incrementAndGet());
  }

  /** A second thread kept for the whole test, so a round costs no thread start. */
  private static final class Racer implements AutoCloseable {
    private final AtomicInteger round = new AtomicInteger();
    private final AtomicInteger arrived = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile Runnable task;
    private volatile boolean closed;

    Racer() {
      thread = new Thread(() -> {
        for (int seen = 0; ; seen++) {
          while (round.get() == seen) {
            if (closed) {
              return;
            }
            pause();
          }
          try {
            startTogether(2 * seen + 2);
            task.run();
          } catch (Throwable t) {
            failure.compareAndSet(null, t);
          }
          finished.incrementAndGet();
        }
      }, "racer");
      thread.start();
    }

    /**
     * Runs {@code a} here and {@code b} on the racer, released together, each after a random few
     * spins, so that over many rounds each side gets to go first.
     */
    void race(Runnable a, Runnable b) {
      task = b;
      int r = round.incrementAndGet();
      startTogether(2 * r);
      a.run();
      while (finished.get() < r) {
        pause();
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
    }

    /**
     * Waits for the other thread, then a random delay: mostly a few spins, so the two collide, and
     * now and then a sleep, so each side also gets to go first for certain.
     */
    private void startTogether(int target) {
      arrived.incrementAndGet();
      for (int spins = 0; arrived.get() < target; spins++) {
        if (spins < 10_000) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      if (random.nextInt(8) == 0) {
        LockSupport.parkNanos(50_000);
      }
      for (int i = random.nextInt(1000); i > 0; i--) {
        Thread.onSpinWait();
      }
    }

    /** Spins, but lets the other thread run when both share one core. */
    private static void pause() {
      Thread.onSpinWait();
      Thread.yield();
    }

    @Override
    public void close() {
      closed = true;
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void whatTheCallerDidReachesTheRealCallInOrderWheneverThePluginBecomesReady() throws Exception {
    List<String> expected = List.of("start", "request 2", "send 1", "send 2", "send 3", "halfClose");
    try (Racer racer = new Racer()) {
      for (int round = 0; round < ROUNDS; round++) {
        AtomicInteger settled = new AtomicInteger();
        PendingCall<Payload, Payload> call = pending(CallOptions.DEFAULT, settled);
        OneCallChannel channel = new OneCallChannel();
        racer.race(() -> {
          call.start(new ClosingListener(), new Metadata());
          call.request(2);
          for (Payload m : MESSAGES) {
            call.sendMessage(m);
          }
          call.halfClose();
        }, () -> call.proceed(channel));
        assertEquals(expected, channel.call.ops, "round " + round);
        assertEquals(1, channel.calls.get());
        assertEquals(1, settled.get());
        assertTrue(call.isReady());
      }
    }
  }

  @Test
  void failingAndBecomingReadyAtOnceHaveExactlyOneOutcome() throws Exception {
    int failedRounds = 0;
    try (Racer racer = new Racer()) {
      for (int round = 0; round < ROUNDS; round++) {
        AtomicInteger settled = new AtomicInteger();
        PendingCall<Payload, Payload> call = pending(CallOptions.DEFAULT, settled);
        ClosingListener listener = new ClosingListener();
        call.start(listener, new Metadata());
        call.sendMessage(MESSAGES[0]);
        OneCallChannel channel = new OneCallChannel();
        boolean cancelByCaller = (round & 1) == 0;
        racer.race(() -> call.proceed(channel), () -> {
          if (cancelByCaller) {
            call.cancel("the caller gave up", null);
          } else {
            call.fail(Status.UNAVAILABLE.withDescription("plugin down for good"));
          }
        });
        assertEquals(1, settled.get(), "round " + round);
        if (listener.closes.isEmpty()) {
          // The plugin won: the held operations reached the real call, and a cancel after them.
          List<String> want = cancelByCaller ? List.of("start", "send 1", "cancel") : List.of("start", "send 1");
          assertEquals(want, channel.call.ops, "round " + round);
        } else {
          failedRounds++;
          assertEquals(1, listener.closes.size());
          assertEquals(cancelByCaller ? Status.Code.CANCELLED : Status.Code.UNAVAILABLE, listener.closes.get(0).getCode());
          assertEquals(List.of(), channel.call.ops, "a failed call reached the plugin in round " + round);
          // Whatever the caller does afterwards goes nowhere.
          call.halfClose();
          assertEquals(List.of(), channel.call.ops);
        }
      }
    }
    assertTrue(failedRounds > 0 && failedRounds < ROUNDS, "one side always won: " + failedRounds);
  }

  @Test
  void theDeadlineEndsAWaitingCallAndSaysWhatItWaitedFor() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      AtomicInteger settled = new AtomicInteger();
      PendingCall<Payload, Payload> call =
          pending(CallOptions.DEFAULT.withDeadlineAfter(50, TimeUnit.MILLISECONDS), settled);
      CountDownLatch closed = new CountDownLatch(1);
      AtomicReference<Status> status = new AtomicReference<>();
      call.start(new ClientCall.Listener<>() {
        @Override
        public void onClose(Status s, Metadata trailers) {
          status.set(s);
          closed.countDown();
        }
      }, new Metadata());
      call.armDeadline(scheduler, () -> "plugin 'p', which is restarting");
      assertTrue(closed.await(10, TimeUnit.SECONDS));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, status.get().getCode());
      assertTrue(status.get().getDescription().contains("waiting for plugin 'p', which is restarting"),
          status.get().getDescription());
      assertEquals(1, settled.get());
      OneCallChannel channel = new OneCallChannel();
      call.proceed(channel);
      assertEquals(0, channel.calls.get(), "a call past its deadline went to the plugin");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void aBlockingCallerMakesItsCallRealOnItsOwnThread() throws Exception {
    ThreadlessExecutor executor = new ThreadlessExecutor();
    AtomicInteger settled = new AtomicInteger();
    PendingCall<Payload, Payload> call = pending(CallOptions.DEFAULT.withExecutor(executor), settled);
    call.start(new ClosingListener(), new Metadata());
    call.halfClose();
    OneCallChannel channel = new OneCallChannel();
    Thread lifecycle = new Thread(() -> call.proceed(channel));
    lifecycle.start();
    lifecycle.join();
    assertEquals(0, channel.calls.get(), "the call was made real off the caller's thread");
    assertTrue(executor.waitAndDrain(System.nanoTime() + TimeUnit.SECONDS.toNanos(10)));
    assertSame(Thread.currentThread(), channel.call.createdOn);
    assertEquals(List.of("start", "halfClose"), channel.call.ops);
  }
}
