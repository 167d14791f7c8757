package dev.spoke.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * One measured figure with what it belongs to: a flat map of fields, written by a suite's JVM to its
 * standard output as one line ({@code RESULT<TAB>key=value<TAB>...}) and read back by the harness.
 *
 * <p>Fields every result has: {@code metric} (latency, throughput, stream, copy, spin, idle, launch,
 * jmh, failure) and {@code series} (what was measured: {@code spoke.direct.BALANCED},
 * {@code grpc.uds.direct}, ...). Times are in nanoseconds.
 *
 * <p>Not thread-safe.
 */
final class Result {

  static final String PREFIX = "RESULT\t";

  private final Map<String, String> fields = new LinkedHashMap<>();

  static Result of(String metric, String series) {
    return new Result().put("metric", metric).put("series", series);
  }

  Result put(String key, Object value) {
    String v = String.valueOf(value);
    if (key.indexOf('=') >= 0 || key.indexOf('\t') >= 0 || v.indexOf('\t') >= 0 || v.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a result field may hold no tab or newline: " + key + "=" + v);
    }
    fields.put(key, v);
    return this;
  }

  String metric() {
    return get("metric");
  }

  String series() {
    return get("series");
  }

  String get(String key) {
    return fields.get(key);
  }

  boolean has(String key) {
    return fields.containsKey(key);
  }

  OptionalDouble number(String key) {
    String v = fields.get(key);
    if (v == null) {
      return OptionalDouble.empty();
    }
    try {
      return OptionalDouble.of(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** A numeric field that must be there. */
  double num(String key) {
    return number(key).orElseThrow(() -> new IllegalStateException("result " + this + " has no number '" + key + "'"));
  }

  long size() {
    return has("size") ? (long) num("size") : -1;
  }

  Map<String, String> fields() {
    return fields;
  }

  String encode() {
    StringBuilder sb = new StringBuilder(PREFIX);
    boolean first = true;
    for (Map.Entry<String, String> e : fields.entrySet()) {
      if (!first) {
        sb.append('\t');
      }
      first = false;
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    return sb.toString();
  }

  /** The result on a line {@link #encode()} wrote, or null if the line is something else. */
  static Result decode(String line) {
    if (!line.startsWith(PREFIX)) {
      return null;
    }
    Result r = new Result();
    for (String kv : line.substring(PREFIX.length()).split("\t")) {
      int eq = kv.indexOf('=');
      if (eq > 0) {
        r.fields.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return r.has("metric") ? r : null;
  }

  /** Prints the result for the harness to collect. */
  void emit() {
    System.out.println(encode());
    System.out.flush();
  }

  @Override
  public String toString() {
    return fields.toString();
  }
}
