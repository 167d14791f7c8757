package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.CallOptions;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.stub.ClientCalls;
import dev.spoke.test.TestRequest;
import dev.spoke.test.TestResponse;
import dev.spoke.testing.TestService;
import dev.spoke.transport.InMemoryTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A side that may have only so many calls in flight is refused beyond that, clearly, and only then. */
class IncomingCallLimitTest {

  @Test
  void callsBeyondTheLimitAreRefusedAtOnceAndTheLimitFreesAsCallsEnd() throws Exception {
    InMemoryTransport[] pair = InMemoryTransport.pair("plugin", "host");
    WorkerPool pool = WorkerPool.builder("limit").build();
    TestService service = new TestService();
    Connection host = Connection.builder(pair[1]).registry(new ServiceRegistry().addService(service.definition()))
        .executor(pool).maxIncomingCalls(3, "the test's limit").localName("host").build().start();
    Connection plugin = Connection.builder(pair[0]).executor(pool).localName("plugin").build().start();
    try {
      List<CompletableFuture<TestResponse>> held = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        held.add(ClientCalls.futureUnaryCall(plugin.channel().newCall(TestService.UNARY, CallOptions.DEFAULT),
            TestRequest.newBuilder().setId(i).setHold(true).build()));
      }
      for (int i = 0; i < 3; i++) {
        service.held.poll(10, TimeUnit.SECONDS);
      }
      StatusRuntimeException refused = null;
      try {
        ClientCalls.blockingUnaryCall(plugin.channel(), TestService.UNARY, CallOptions.DEFAULT,
            TestRequest.newBuilder().setId(9).build());
      } catch (StatusRuntimeException e) {
        refused = e;
      }
      assertTrue(refused != null, "a fourth call was let in");
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
      String why = refused.getStatus().getDescription();
      assertTrue(why.contains("3 calls in flight") && why.contains("the test's limit"), why);
      // Ending one makes room for one.
      held.get(0).cancel(true);
      dev.spoke.testing.Conditions.waitUntil("the cancelled call ends on the host", 10, () -> host.activeCalls() == 2);
      assertEquals(10, ClientCalls.blockingUnaryCall(plugin.channel(), TestService.UNARY, CallOptions.DEFAULT,
          TestRequest.newBuilder().setId(10).build()).getId());
      for (int i = 1; i < 3; i++) {
        try {
          held.get(i).cancel(true);
          held.get(i).get(1, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
          // cancelled
        }
      }
    } finally {
      plugin.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      host.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
      pool.shutdown();
    }
  }
}
