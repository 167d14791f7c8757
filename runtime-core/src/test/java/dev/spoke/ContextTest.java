package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ContextTest {

  private static final Context.Key<String> NAME = Context.key("name");
  private static final Context.Key<Integer> COUNT = Context.keyWithDefault("count", 7);

  @Test
  void valuesShadowTheirParentsAndVanishWhenTheContextIsLeft() throws Exception {
    assertSame(Context.ROOT, Context.current());
    assertNull(NAME.get());
    assertEquals(7, COUNT.get());
    Context outer = Context.current().withValue(NAME, "outer");
    Context inner = outer.withValues(NAME, "inner", COUNT, 1);
    assertEquals("outer", NAME.get(outer));
    assertEquals(7, COUNT.get(outer));
    inner.run(() -> {
      assertEquals("inner", NAME.get());
      assertEquals(1, COUNT.get());
      assertSame(inner, Context.current());
    });
    assertEquals("outer", outer.call(NAME::get));
    assertSame(Context.ROOT, Context.current());

    Context previous = inner.attach();
    try {
      assertSame(inner, Context.current());
    } finally {
      inner.detach(previous);
    }
    assertSame(Context.ROOT, Context.current());
  }

  @Test
  void wrappedTasksAndExecutorsCarryTheContextToOtherThreads() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Context ctx = Context.ROOT.withValue(NAME, "carried");
      CompletableFuture<String> wrapped = new CompletableFuture<>();
      pool.execute(ctx.wrap((Runnable) () -> wrapped.complete(NAME.get())));
      assertEquals("carried", wrapped.get(10, TimeUnit.SECONDS));
      CompletableFuture<String> fixed = new CompletableFuture<>();
      ctx.fixedContextExecutor(pool).execute(() -> fixed.complete(NAME.get()));
      assertEquals("carried", fixed.get(10, TimeUnit.SECONDS));
      CompletableFuture<String> current = new CompletableFuture<>();
      ctx.run(() -> Context.currentContextExecutor(pool).execute(() -> current.complete(NAME.get())));
      assertEquals("carried", current.get(10, TimeUnit.SECONDS));
      CompletableFuture<String> bare = new CompletableFuture<>();
      pool.execute(() -> bare.complete(String.valueOf(NAME.get())));
      assertEquals("null", bare.get(10, TimeUnit.SECONDS), "a pool thread kept a context it was not given");
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void cancellationCascadesToDescendantsOnlyAndListenersRunOnce() throws Exception {
    CancellableContext parent = Context.ROOT.withCancellation();
    Context valued = parent.withValue(NAME, "v");
    CancellableContext child = valued.withCancellation();
    CancellableContext sibling = Context.ROOT.withCancellation();
    List<Context> told = new ArrayList<>();
    AtomicInteger runs = new AtomicInteger();
    Context.CancellationListener listener = c -> {
      told.add(c);
      runs.incrementAndGet();
    };
    valued.addListener(listener, DirectExecutor.INSTANCE);
    child.addListener(c -> runs.incrementAndGet(), DirectExecutor.INSTANCE);
    Context.CancellationListener removed = c -> runs.addAndGet(100);
    parent.addListener(removed, DirectExecutor.INSTANCE);
    parent.removeListener(removed);

    IllegalStateException why = new IllegalStateException("stop");
    assertTrue(parent.cancel(why));
    assertFalse(parent.cancel(null));
    assertTrue(valued.isCancelled());
    assertTrue(child.isCancelled());
    assertSame(why, child.cancellationCause());
    assertFalse(sibling.isCancelled());
    assertEquals(2, runs.get());
    assertEquals(List.of(parent), told);
    assertEquals(Status.Code.CANCELLED, Contexts.statusFromCancelled(valued).getCode());
    // A listener added after the cancellation runs at once.
    CountDownLatch late = new CountDownLatch(1);
    valued.addListener(c -> late.countDown(), DirectExecutor.INSTANCE);
    assertEquals(0, late.getCount());
    // ROOT is never cancelled, and listeners on it never run.
    Context.ROOT.addListener(c -> runs.addAndGet(1000), DirectExecutor.INSTANCE);
    assertFalse(Context.ROOT.isCancelled());
    assertNull(Contexts.statusFromCancelled(Context.ROOT));
  }

  @Test
  void aDeadlineCancelsTheContextAndTheEarlierOfParentAndChildWins() throws Exception {
    CancellableContext soon = Context.ROOT.withDeadlineAfter(50, TimeUnit.MILLISECONDS);
    CancellableContext later = soon.withDeadlineAfter(10, TimeUnit.SECONDS);
    assertSame(soon.getDeadline(), later.getDeadline(), "the child kept a deadline later than its parent's");
    CountDownLatch cancelled = new CountDownLatch(1);
    later.addListener(c -> cancelled.countDown(), DirectExecutor.INSTANCE);
    assertTrue(cancelled.await(10, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, soon.cancellationCause());
    assertEquals(Status.Code.DEADLINE_EXCEEDED, Contexts.statusFromCancelled(later).getCode());

    java.util.concurrent.ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      CancellableContext scheduled = Context.ROOT.withDeadlineAfter(20, TimeUnit.MILLISECONDS, scheduler);
      CountDownLatch done = new CountDownLatch(1);
      scheduled.addListener(c -> done.countDown(), DirectExecutor.INSTANCE);
      assertTrue(done.await(10, TimeUnit.SECONDS));
      assertEquals(Status.Code.DEADLINE_EXCEEDED, Contexts.statusFromCancelled(scheduled).getCode());
    } finally {
      scheduler.shutdown();
    }
  }

  @Test
  void aForkKeepsTheValuesButNotTheCancellation() {
    CancellableContext scope = Context.ROOT.withValue(NAME, "kept").withCancellation();
    Context forked = scope.fork();
    scope.cancel(null);
    assertTrue(scope.isCancelled());
    assertFalse(forked.isCancelled());
    assertNull(forked.getDeadline());
    assertEquals("kept", NAME.get(forked));
  }
}
