package dev.spoke.examples.site;

import dev.spoke.Status;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the calls to one plugin (or the plugins' calls to the host) added up to: calls, failures,
 * retries, bytes each way, latencies, and the calls in flight now.
 *
 * <p>Thread-safe.
 */
final class CallStats {

  final String name;
  private final PayloadSizes payloads;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger retried = new AtomicInteger();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong bytesReceived = new AtomicLong();
  private long[] latencies = new long[256];
  private int latencyCount;

  CallStats(String name, PayloadSizes payloads) {
    this.name = name;
    this.payloads = payloads;
  }

  void started() {
    inFlight.incrementAndGet();
  }

  /** A message of {@code bytes} went out (a request, or for the host a response). */
  void sent(int bytes) {
    bytesSent.addAndGet(bytes);
    payloads.record(bytes);
  }

  /** A message of {@code bytes} came in. */
  void received(int bytes) {
    bytesReceived.addAndGet(bytes);
    payloads.record(bytes);
  }

  void finished(long nanos, Status.Code code) {
    inFlight.decrementAndGet();
    if (code == Status.Code.OK) {
      completed.incrementAndGet();
    } else {
      failed.incrementAndGet();
    }
    synchronized (this) {
      if (latencyCount == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencyCount * 2);
      }
      latencies[latencyCount++] = nanos;
    }
  }

  /** A call failed with UNAVAILABLE and will be made again (counted once per call). */
  void retrying() {
    retried.incrementAndGet();
  }

  int inFlight() {
    return inFlight.get();
  }

  /** Calls that ended OK. */
  int completed() {
    return completed.get();
  }

  int failed() {
    return failed.get();
  }

  /** Calls that needed more than one attempt. */
  int retried() {
    return retried.get();
  }

  /** Calls that ended, either way. */
  int calls() {
    return completed.get() + failed.get();
  }

  long bytesSent() {
    return bytesSent.get();
  }

  long bytesReceived() {
    return bytesReceived.get();
  }

  /** The latency below which {@code percent} of the calls ended, in nanoseconds; 0 without calls. */
  synchronized long percentile(double percent) {
    if (latencyCount == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(latencies, latencyCount);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percent / 100 * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }
}
