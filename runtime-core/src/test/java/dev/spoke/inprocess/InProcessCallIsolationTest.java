package dev.spoke.inprocess;

import dev.spoke.Channel;
import dev.spoke.ServiceRegistry;
import dev.spoke.testing.AbstractCallIsolationTest;
import dev.spoke.testing.Figures;
import dev.spoke.testing.IsolationWorkload;
import dev.spoke.testing.ServerFixture;
import dev.spoke.testing.TestService;
import java.io.IOException;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;

/**
 * Call isolation over the in-process server. Its chains loop through the server itself (a direct
 * handler calling the server again through the in-process channel); the server cannot call back, so
 * there is no stress from its side.
 */
class InProcessCallIsolationTest extends AbstractCallIsolationTest {

  static final Figures FIGURES = new Figures();

  @AfterAll
  static void writeFigures() throws IOException {
    FIGURES.writeTo(Paths.get("target", SOAK ? "reliability-figures-isolation-soak.md" : "reliability-figures-isolation.md"));
  }

  @Override
  protected Figures figures() {
    return FIGURES;
  }

  @Override
  protected String label() {
    return "in-process server";
  }

  @Override
  protected int callingThreads() {
    return 6;
  }

  @Override
  protected Subject newSubject() {
    ServiceRegistry registry = new ServiceRegistry().addService(new TestService().definition());
    AtomicReference<Channel> self = new AtomicReference<>();
    ServerFixture.HOP.bindTo(registry, self::get);
    InProcessServer server = InProcessServer.start("isolation", registry);
    self.set(server.channel());
    return new Subject() {
      @Override
      public Channel channel() {
        return server.channel();
      }

      @Override
      public int maxChainDepth() {
        return 4;
      }

      @Override
      public boolean reverse() {
        return false;
      }

      @Override
      public CompletableFuture<IsolationWorkload.Result> startReverse(IsolationWorkload workload) {
        throw new UnsupportedOperationException("the in-process server does not call back");
      }

      @Override
      public void closing() {}

      @Override
      public void closeAbruptly(boolean fromServerSide) {
        server.close();
      }

      @Override
      public long closeAndCountLeaks() {
        server.close();
        return -1; // the in-memory pair lends no shared memory
      }

      @Override
      public String serverThreadDump() {
        return "(the server runs in this JVM; see this JVM's threads)";
      }

      @Override
      public void close() {
        server.close();
      }
    };
  }
}
