package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessWatchTest {

  private static long startMillis(long pid) {
    return ProcessHandle.of(pid).orElseThrow().info().startInstant().orElseThrow().toEpochMilli();
  }

  @Test
  void aWaitEndsWhenTheProcessIsKilledNotWhenItsTimeoutPasses() throws Exception {
    Process child = new ProcessBuilder("sleep", "60").start();
    try (ProcessWatch watch = ProcessWatch.of(child.pid(), startMillis(child.pid()))) {
      assumeTrue(watch.usesPidfd(), "pidfd_open is not available here");
      assertFalse(watch.awaitEnd(TimeUnit.MILLISECONDS.toNanos(50)), "a live process counted as ended");
      CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
        long start = System.nanoTime();
        assertTrue(watch.awaitEnd(TimeUnit.SECONDS.toNanos(30)));
        return System.nanoTime() - start;
      });
      Thread.sleep(100); // most likely in poll(2) by now; the wait must end early either way
      child.destroyForcibly();
      long took = waited.get(20, TimeUnit.SECONDS);
      assertTrue(took < TimeUnit.SECONDS.toNanos(10), "the wait ran to its timeout: " + took / 1e6 + " ms");
    } finally {
      child.destroyForcibly();
    }
  }

  @Test
  void aZombieCountsAsEnded() throws Exception {
    // The shell starts `sleep` in the background, prints its pid and becomes a process that never
    // reaps it: killed, the grandchild stays a zombie.
    Process parent = new ProcessBuilder("sh", "-c", "sleep 60 & echo $!; exec sleep 60").start();
    try {
      long pid = Long.parseLong(new BufferedReader(new InputStreamReader(parent.getInputStream())).readLine().trim());
      try (ProcessWatch watch = ProcessWatch.of(pid, startMillis(pid))) {
        assertFalse(watch.awaitEnd(TimeUnit.MILLISECONDS.toNanos(20)));
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        assertTrue(watch.awaitEnd(TimeUnit.SECONDS.toNanos(10)), "a zombie counted as alive");
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
            "the test needs the zombie still there, unreaped");
      }
    } finally {
      parent.descendants().forEach(ProcessHandle::destroyForcibly);
      parent.destroyForcibly();
    }
  }

  @Test
  void aPidThatIsGoneOrNowAnotherProcessIsEndedAtOnce() throws Exception {
    Process child = new ProcessBuilder("sleep", "60").start();
    long pid = child.pid();
    long start = startMillis(pid);
    child.destroyForcibly().waitFor();
    try (ProcessWatch gone = ProcessWatch.of(pid, start)) {
      assertTrue(gone.awaitEnd(0));
    }
    long me = ProcessHandle.current().pid();
    try (ProcessWatch reused = ProcessWatch.of(me, startMillis(me) - 3_600_000)) {
      assertTrue(reused.awaitEnd(0), "a process started an hour later is not the one watched");
    }
  }
}
