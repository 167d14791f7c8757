package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.spoke.CallOptions;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.InlineExecutor;
import dev.spoke.internal.WorkerPool;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.StreamObserver;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every stream gets every message, in order, before its status — under the conditions that move
 * frames between threads: handlers and callbacks run inline where their frames arrive and are taken
 * over after a very short hand-off limit, a small ring and a small pool put frames in the overflow
 * queue (some on the heap), and blocking callers receive responses on their own threads meanwhile.
 *
 * <p>{@code -Dspoke.soak=true} runs it ten times as long.
 */
class StreamOrderTest {

  static final boolean SOAK = Boolean.getBoolean("spoke.soak");

  @TempDir
  Path dir;

  @Test
  void everyStreamGetsEveryMessageInOrderBeforeItsStatus() throws Exception {
    HubConfig config = HubConfig.builder()
        .maxPeers(2)
        .ringCapacity(8)
        .sizeClasses(List.of(SizeClass.of(1024, 32), SizeClass.of(16 << 10, 8), SizeClass.of(256 << 10, 4),
            SizeClass.of(1 << 20, 2)))
        .handOffAfter(Duration.ofNanos(20_000))
        .directory(dir)
        .build();
    TestService service = new TestService();
    WorkerPool clientPool = WorkerPool.builder("order-client").build();
    WorkerPool serverPool = WorkerPool.builder("order-server").build();
    try (HubHost host = HubHost.create(config)) {
      HubHost.Reservation r = host.reservePeer("order-plugin", true);
      HubPeer peer = HubPeer.attach(host.path(), r.peerId(), r.token(), "order-plugin", config);
      Connection server = Connection.builder(peer.transport())
          .registry(new ServiceRegistry().addService(service.definition()))
          .executor(new InlineExecutor(serverPool)).localName("order-server").build().start();
      Connection client = Connection.builder(r.transport()).executor(new InlineExecutor(clientPool))
          .localName("order-client").build().start();
      try {
        int threads = 8;
        long runNanos = TimeUnit.SECONDS.toNanos(SOAK ? 60 : 6);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger streams = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        long end = System.nanoTime() + runNanos;
        for (int t = 0; t < threads; t++) {
          int seed = t;
          Thread w = new Thread(() -> {
            Random rnd = new Random(seed);
            try {
              for (long i = 0; System.nanoTime() - end < 0 && failures.isEmpty(); i++) {
                long id = ((long) seed << 40) | (i << 8);
                if (rnd.nextInt(4) == 0) {
                  // A blocking caller: it receives responses (anyone's) on its own thread.
                  TestRequest q = TestRequest.newBuilder().setId(id).setPayload(payload(rnd, id)).build();
                  TestResponse got = ClientCalls.blockingUnaryCall(client.channel(), TestService.UNARY,
                      CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), q);
                  assertEquals(q.getPayload(), got.getPayload(), "unary " + id);
                } else {
                  bidi(client, id, rnd);
                  streams.incrementAndGet();
                }
              }
            } catch (Throwable e) {
              failures.add(e);
            }
          }, "order-caller-" + t);
          workers.add(w);
          w.start();
        }
        for (Thread w : workers) {
          w.join(runNanos / 1_000_000 + 60_000);
          assertFalse(w.isAlive(), "a caller hung");
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures, the first: " + failures.peek());
        assertTrue(streams.get() > 0, "no stream ran");
        assertTrue(r.transport().framesDeliveredByCallers() > 0, "no blocking caller received frames itself");
        assertTrue(service.handlerErrors.isEmpty(), () -> "handler errors: " + service.handlerErrors);
      } finally {
        client.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
        server.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
        peer.close();
      }
    } finally {
      clientPool.shutdown();
      serverPool.shutdown();
    }
  }

  /** Sizes from empty (inline) to nearly a whole 256 KiB slot, and beyond (the 1 MiB class). */
  private static ByteString payload(Random rnd, long seed) {
    int pick = rnd.nextInt(10);
    int size = pick < 3 ? rnd.nextInt(17) : pick < 5 ? 1000 : pick < 7 ? 16_000 : pick < 9 ? (256 << 10) - 64
        : 300_000;
    return TestService.pattern(seed, size);
  }

  /** One bidi echo stream of 1–20 messages; every echo must come, in order, before the status. */
  private static void bidi(Connection client, long id, Random rnd) throws Exception {
    List<TestResponse> got = new ArrayList<>();
    CompletableFuture<List<TestResponse>> done = new CompletableFuture<>();
    StreamObserver<TestRequest> requests = ClientCalls.asyncBidiStreamingCall(
        client.channel().newCall(TestService.BIDI, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
        new StreamObserver<TestResponse>() {
          @Override
          public void onNext(TestResponse value) {
            synchronized (got) {
              got.add(value);
            }
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            synchronized (got) {
              done.complete(new ArrayList<>(got));
            }
          }
        });
    int n = 1 + rnd.nextInt(20);
    List<Long> sent = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      long messageId = id + k;
      sent.add(messageId);
      requests.onNext(TestRequest.newBuilder().setId(messageId).setPayload(payload(rnd, messageId)).build());
    }
    requests.onCompleted();
    List<TestResponse> echoes = done.get(30, TimeUnit.SECONDS);
    List<Long> ids = new ArrayList<>();
    StringBuilder seen = new StringBuilder();
    for (TestResponse e : echoes) {
      ids.add(e.getId());
      // Which request the server had just received when it echoed: tells a reordering on the way in
      // from one on the way back.
      seen.append(e.getId() - id).append(" (request ").append(e.getRequestsReceived()).append(") ");
    }
    assertEquals(sent, ids, () -> "stream " + Long.toHexString(id) + " of " + n + " messages: the echoes, in order, "
        + "before the status; got " + seen);
  }
}
