package dev.spoke.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The figures of a fault suite — calls made, faults injected, bad inputs tried, slots leaked — counted
 * by its tests and written as a Markdown table, so docs/RELIABILITY.md quotes the suite's own output.
 */
public final class Figures {

  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

  /** Adds {@code n} to {@code figure}. */
  public void count(String figure, long n) {
    counts.computeIfAbsent(figure, k -> new AtomicLong()).addAndGet(n);
  }

  /** Sets {@code figure} to {@code value} (a measurement rather than a count). */
  public void set(String figure, long value) {
    counts.computeIfAbsent(figure, k -> new AtomicLong()).set(value);
  }

  /** Writes the figures, sorted by name, as a two-column table to {@code file}. */
  public void writeTo(Path file) throws IOException {
    StringBuilder md = new StringBuilder("| figure | count |\n|---|---|\n");
    counts.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> md.append("| ").append(e.getKey()).append(" | ").append(e.getValue().get()).append(" |\n"));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
  }
}
