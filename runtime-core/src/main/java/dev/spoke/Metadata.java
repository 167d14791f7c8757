package dev.spoke;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Small string-keyed headers sent with a request, or trailers sent with a response's status; a trace
 * id is the typical use. Keys are lower-case ASCII ({@code a-z 0-9 - _ .}); a key may hold several
 * values, kept in the order they were added. The whole set is limited to {@link #MAX_ENCODED_BYTES}
 * when sent.
 *
 * <p>Not thread-safe: build it on one thread, then hand it over.
 */
public final class Metadata {

  /** The most bytes one set of headers or trailers may take on the wire. */
  public static final int MAX_ENCODED_BYTES = 64 * 1024;

  // Created on the first put: most calls carry no metadata, and an empty set should cost nothing.
  private List<String> keys = List.of();
  private List<String> values = List.of();

  public Metadata() {}

  private void makeMutable() {
    if (!(keys instanceof ArrayList)) {
      keys = new ArrayList<>(keys);
      values = new ArrayList<>(values);
    }
  }

  /** A new set holding one entry. */
  public static Metadata of(String key, String value) {
    Metadata m = new Metadata();
    m.put(key, value);
    return m;
  }

  /**
   * Adds a value for a key, after any values already there.
   *
   * @throws IllegalArgumentException if the key is empty or holds a character outside {@code a-z 0-9 -
   *     _ .}
   */
  public Metadata put(String key, String value) {
    checkKey(key);
    if (value == null) {
      throw new NullPointerException("value of metadata key '" + key + "' is null");
    }
    makeMutable();
    keys.add(key);
    values.add(value);
    return this;
  }

  /** Adds every entry of {@code other}. */
  public Metadata merge(Metadata other) {
    if (other != null && !other.isEmpty()) {
      makeMutable();
      keys.addAll(other.keys);
      values.addAll(other.values);
    }
    return this;
  }

  /** The last value added for the key, or null. */
  public String get(String key) {
    for (int i = keys.size() - 1; i >= 0; i--) {
      if (keys.get(i).equals(key)) {
        return values.get(i);
      }
    }
    return null;
  }

  /** Every value of the key, in the order added; empty when there is none. */
  public List<String> getAll(String key) {
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i).equals(key)) {
        out.add(values.get(i));
      }
    }
    return out;
  }

  /** Removes every value of the key; returns whether there was one. */
  public boolean removeAll(String key) {
    boolean removed = false;
    for (int i = keys.size() - 1; i >= 0; i--) {
      if (keys.get(i).equals(key)) {
        makeMutable();
        keys.remove(i);
        values.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  public boolean containsKey(String key) {
    return keys.contains(key);
  }

  /** The distinct keys, in the order first added. */
  public Set<String> keys() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(keys));
  }

  /** The number of entries (a key with two values counts twice). */
  public int size() {
    return keys.size();
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /** The key of entry {@code i}, for encoders. */
  public String keyAt(int i) {
    return keys.get(i);
  }

  /** The value of entry {@code i}, for encoders. */
  public String valueAt(int i) {
    return values.get(i);
  }

  private static void checkKey(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("metadata key is empty");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if (!ok) {
        throw new IllegalArgumentException(
            "metadata key '" + key + "' has '" + c + "' at " + i + "; keys are lower-case a-z 0-9 - _ .");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Metadata && keys.equals(((Metadata) o).keys) && values.equals(((Metadata) o).values);
  }

  @Override
  public int hashCode() {
    return keys.hashCode() * 31 + values.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Metadata{");
    for (int i = 0; i < keys.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(keys.get(i)).append('=').append(values.get(i));
    }
    return sb.append('}').toString();
  }
}
