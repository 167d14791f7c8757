package dev.spoke.shm;

import dev.spoke.Channel;
import dev.spoke.ServiceRegistry;
import dev.spoke.Status;
import dev.spoke.internal.Connection;
import dev.spoke.internal.WorkerPool;
import dev.spoke.testing.AbstractCallIsolationTest;
import dev.spoke.testing.ChildServerSide;
import dev.spoke.testing.Figures;
import dev.spoke.testing.IsolationWorkload;
import dev.spoke.testing.ServerFixture;
import dev.spoke.testing.TestService;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Call isolation across processes: the host here calls a plugin in a child JVM ({@link
 * HubServerChild}) while the plugin runs the same stress against the host; both serve {@link
 * ServerFixture#HOP} on a direct executor, so chains go host → plugin → host … After every run the
 * plugin is reclaimed and every slot must be FREE and on its free list once.
 */
class HubChildCallIsolationTest extends AbstractCallIsolationTest {

  static final Figures FIGURES = new Figures();
  private static ChildServerSide.ServerProcess child;

  @TempDir
  Path dir;

  @AfterAll
  static void finish() throws Exception {
    FIGURES.writeTo(Paths.get("target", SOAK ? "reliability-figures-isolation-soak.md" : "reliability-figures-isolation.md"));
    if (child != null) {
      child.close();
      child = null;
    }
  }

  @Override
  protected Figures figures() {
    return FIGURES;
  }

  @Override
  protected String label() {
    return "hub, plugin in a child JVM";
  }

  @Override
  protected Subject newSubject() throws Exception {
    if (child == null || !child.isAlive()) {
      child = ChildServerSide.ServerProcess.start(HubServerChild.class);
    }
    HubHost host = HubHost.create(HubChildCallLayerTest.CONFIG.toBuilder().directory(dir).build());
    HubHost.Reservation r = host.reservePeer("isolation", false);
    WorkerPool pool = WorkerPool.builder("host").build();
    ServiceRegistry registry = new ServiceRegistry().addService(new TestService().definition());
    ServerFixture.HOP.bindTo(registry);
    Connection connection = Connection.builder(r.transport()).registry(registry).executor(pool).localName("host").build();
    connection.start();
    ChildServerSide plugin = child.attach(new TestService(), host.path().toString(), String.valueOf(r.peerId()), r.token());
    plugin.serve(ServerFixture.HOP);
    return new Subject() {
      private long leaked = Long.MIN_VALUE;

      @Override
      public Channel channel() {
        return connection.channel();
      }

      @Override
      public int maxChainDepth() {
        return 6;
      }

      @Override
      public boolean reverse() {
        return true;
      }

      @Override
      public CompletableFuture<IsolationWorkload.Result> startReverse(IsolationWorkload workload) {
        CompletableFuture<IsolationWorkload.Result> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
          try {
            result.complete(plugin.run(workload, TimeUnit.MINUTES.toSeconds(30)));
          } catch (Throwable e) {
            result.completeExceptionally(e);
          }
        }, "plugin-stress");
        t.setDaemon(true);
        t.start();
        return result;
      }

      @Override
      public void closing() {
        plugin.closing();
      }

      @Override
      public void closeAbruptly(boolean fromServerSide) {
        if (fromServerSide) {
          plugin.shutdownNow(Status.UNAVAILABLE.withDescription("the plugin closes under load"));
        } else {
          connection.shutdownNow(Status.UNAVAILABLE.withDescription("the host closes under load"));
        }
      }

      @Override
      public long closeAndCountLeaks() throws Exception {
        if (leaked != Long.MIN_VALUE) {
          return leaked;
        }
        try {
          connection.shutdownNow(Status.UNAVAILABLE.withDescription("test over"));
          if (child.isAlive()) {
            plugin.close();
          }
          pool.shutdown();
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while ((host.peersInUse() > 0 || !host.snapshot().poolFullyFree()) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
          }
          HubSnapshot s = host.snapshot();
          leaked = s.totalSlots() - s.freeSlots();
          if (leaked == 0) {
            SlotAllocatorTest.assertListsIntact(host.memory(), host.layout());
          }
          return leaked;
        } finally {
          host.close();
        }
      }

      @Override
      public String serverThreadDump() {
        return child.threadDump();
      }

      @Override
      public void close() throws Exception {
        closeAndCountLeaks();
      }
    };
  }
}
