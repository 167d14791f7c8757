package dev.spoke.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code --key=value} arguments of a suite's main, and the bare words among them. Not thread-safe. */
final class Args {

  private final Map<String, String> options = new LinkedHashMap<>();
  private final List<String> words = new ArrayList<>();

  private Args() {}

  static Args parse(String... args) {
    Args a = new Args();
    for (String s : args) {
      if (s.startsWith("--")) {
        int eq = s.indexOf('=');
        a.options.put(eq < 0 ? s.substring(2) : s.substring(2, eq), eq < 0 ? "true" : s.substring(eq + 1));
      } else {
        a.words.add(s);
      }
    }
    return a;
  }

  String get(String key) {
    String v = options.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + key + "=...");
    }
    return v;
  }

  String get(String key, String fallback) {
    return options.getOrDefault(key, fallback);
  }

  int getInt(String key, int fallback) {
    return options.containsKey(key) ? Integer.parseInt(options.get(key)) : fallback;
  }

  List<Integer> getInts(String key) {
    String v = options.getOrDefault(key, "");
    return v.isEmpty() ? List.of() : Payloads.parseSizes(v);
  }

  boolean has(String key) {
    return options.containsKey(key);
  }

  boolean flag(String key) {
    return Boolean.parseBoolean(options.getOrDefault(key, "false"));
  }

  Mode mode() {
    return Mode.parse(get("mode", "quick"));
  }

  List<String> words() {
    return words;
  }
}
