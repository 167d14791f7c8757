package dev.spoke;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Headers sent with a request or a response, or trailers sent with a call's status, in gRPC-java's
 * shape: typed {@link Key}s, each with a marshaller; a key may hold several values, kept in the order
 * they were added.
 *
 * <p>Keys follow gRPC's rules: names are lower-cased when the key is made, may hold only {@code a-z 0-9
 * - _ .}, and a name ending in {@value #BINARY_HEADER_SUFFIX} marks a binary key, whose values are raw
 * bytes (carried as bytes on the wire, never as text). Every other key holds printable ASCII text
 * ({@code 0x20-0x7E}); a control character, a line break or a non-ASCII character in such a value is
 * refused when it is put, naming the key and the position. The whole set is limited to {@link
 * #MAX_ENCODED_BYTES} when sent.
 *
 * <p>The {@code String} methods ({@link #put(String, String)}, {@link #get(String)}…) are shorthand for
 * ASCII keys made with {@link #ASCII_STRING_MARSHALLER}.
 *
 * <p>Not thread-safe: build it on one thread, then hand it over.
 */
public final class Metadata {

  /** The most bytes one set of headers or trailers may take on the wire. */
  public static final int MAX_ENCODED_BYTES = 64 * 1024;

  /** The suffix of binary keys: their values are bytes; no other key may end with it. */
  public static final String BINARY_HEADER_SUFFIX = "-bin";

  /** The values of ASCII keys as they are: strings of printable ASCII. */
  public static final AsciiMarshaller<String> ASCII_STRING_MARSHALLER = new AsciiMarshaller<>() {
    @Override
    public String toAsciiString(String value) {
      return value;
    }

    @Override
    public String parseAsciiString(String serialized) {
      return serialized;
    }

    @Override
    public String toString() {
      return "ASCII_STRING_MARSHALLER";
    }
  };

  /** The values of binary keys as they are: byte arrays, not copied. */
  public static final BinaryMarshaller<byte[]> BINARY_BYTE_MARSHALLER = new BinaryMarshaller<>() {
    @Override
    public byte[] toBytes(byte[] value) {
      return value;
    }

    @Override
    public byte[] parseBytes(byte[] serialized) {
      return serialized;
    }

    @Override
    public String toString() {
      return "BINARY_BYTE_MARSHALLER";
    }
  };

  /**
   * Turns values of an ASCII key into printable ASCII text and back.
   *
   * @param <T> the value type
   */
  public interface AsciiMarshaller<T> {
    /** The value as printable ASCII ({@code 0x20-0x7E}). */
    String toAsciiString(T value);

    /** The value of {@code serialized}, text produced by {@link #toAsciiString}. */
    T parseAsciiString(String serialized);
  }

  /**
   * Turns values of a binary key into bytes and back.
   *
   * @param <T> the value type
   */
  public interface BinaryMarshaller<T> {
    /** The value as bytes; the array must not be changed afterwards. */
    byte[] toBytes(T value);

    /** The value of {@code serialized}, bytes produced by {@link #toBytes}. */
    T parseBytes(byte[] serialized);
  }

  /**
   * A typed metadata key: a name and the marshaller of its values. Make keys once, as constants.
   *
   * <p>Immutable and thread-safe. Two keys are equal when their names are.
   *
   * @param <T> the value type
   */
  public abstract static class Key<T> {
    private final String name;
    private final String originalName;

    private Key(String originalName) {
      this.originalName = Objects.requireNonNull(originalName, "metadata key name");
      this.name = validName(originalName);
    }

    /**
     * An ASCII key.
     *
     * @throws IllegalArgumentException if the name is empty, holds a character outside {@code a-z 0-9
     *     - _ .} once lower-cased, or ends with {@value #BINARY_HEADER_SUFFIX} (a binary key's suffix)
     */
    public static <T> Key<T> of(String name, AsciiMarshaller<T> marshaller) {
      return new AsciiKey<>(name, marshaller);
    }

    /**
     * A binary key; its name must end with {@value #BINARY_HEADER_SUFFIX}.
     *
     * @throws IllegalArgumentException if the name is not a valid key name or lacks the suffix
     */
    public static <T> Key<T> of(String name, BinaryMarshaller<T> marshaller) {
      return new BinaryKey<>(name, marshaller);
    }

    /** The name, lower-cased: what travels on the wire. */
    public final String name() {
      return name;
    }

    /** The name as it was given. */
    public final String originalName() {
      return originalName;
    }

    /** True for a binary key (its name ends with {@value #BINARY_HEADER_SUFFIX}). */
    public final boolean isBinary() {
      return this instanceof BinaryKey;
    }

    /** The stored form of {@code value}: a checked ASCII string or a byte array. */
    abstract Object serialize(T value);

    /** The value of a stored form. */
    abstract T parse(Object stored);

    @Override
    public final boolean equals(Object o) {
      return o instanceof Key && ((Key<?>) o).name.equals(name);
    }

    @Override
    public final int hashCode() {
      return name.hashCode();
    }

    @Override
    public String toString() {
      return "Key{name='" + name + "'}";
    }
  }

  private static final class AsciiKey<T> extends Key<T> {
    private final AsciiMarshaller<T> marshaller;

    AsciiKey(String name, AsciiMarshaller<T> marshaller) {
      super(name);
      if (name().endsWith(BINARY_HEADER_SUFFIX)) {
        throw new IllegalArgumentException("metadata key '" + name() + "' ends with " + BINARY_HEADER_SUFFIX
            + ", which marks binary keys; make it with a BinaryMarshaller, or choose another name");
      }
      this.marshaller = Objects.requireNonNull(marshaller, "marshaller");
    }

    @Override
    Object serialize(T value) {
      String text = marshaller.toAsciiString(Objects.requireNonNull(value, "value"));
      checkAsciiValue(name(), text);
      return text;
    }

    @Override
    T parse(Object stored) {
      return marshaller.parseAsciiString((String) stored);
    }
  }

  private static final class BinaryKey<T> extends Key<T> {
    private final BinaryMarshaller<T> marshaller;

    BinaryKey(String name, BinaryMarshaller<T> marshaller) {
      super(name);
      if (!name().endsWith(BINARY_HEADER_SUFFIX) || name().length() == BINARY_HEADER_SUFFIX.length()) {
        throw new IllegalArgumentException("binary metadata key '" + name() + "' must end with " + BINARY_HEADER_SUFFIX
            + " (after at least one character)");
      }
      this.marshaller = Objects.requireNonNull(marshaller, "marshaller");
    }

    @Override
    Object serialize(T value) {
      byte[] bytes = marshaller.toBytes(Objects.requireNonNull(value, "value"));
      return Objects.requireNonNull(bytes, () -> "the marshaller of '" + name() + "' returned null");
    }

    @Override
    T parse(Object stored) {
      return marshaller.parseBytes((byte[]) stored);
    }
  }

  // Created on the first put: most calls carry no metadata, and an empty set should cost nothing.
  private List<String> names = List.of();
  /** Per entry: a String (ASCII key) or a byte[] (binary key). */
  private List<Object> values = List.of();

  /** An empty set. */
  public Metadata() {}

  private void makeMutable() {
    if (!(names instanceof ArrayList)) {
      names = new ArrayList<>(names);
      values = new ArrayList<>(values);
    }
  }

  /** A new set holding one ASCII entry. */
  public static Metadata of(String key, String value) {
    return new Metadata().put(key, value);
  }

  // ---------------------------------------------------------------------------------------------
  // Typed keys

  /**
   * Adds a value for {@code key}, after any values already there.
   *
   * @throws IllegalArgumentException if an ASCII value holds a character outside printable ASCII
   */
  public <T> void put(Key<T> key, T value) {
    Object stored = key.serialize(value);
    makeMutable();
    names.add(key.name());
    values.add(stored);
  }

  /** The last value added for {@code key}, or null. */
  public <T> T get(Key<T> key) {
    for (int i = names.size() - 1; i >= 0; i--) {
      if (names.get(i).equals(key.name())) {
        return key.parse(values.get(i));
      }
    }
    return null;
  }

  /** Every value of {@code key} in the order added, or null when there is none (as in gRPC-java). */
  public <T> Iterable<T> getAll(Key<T> key) {
    List<T> out = null;
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(key.name())) {
        if (out == null) {
          out = new ArrayList<>(1);
        }
        out.add(key.parse(values.get(i)));
      }
    }
    return out;
  }

  /** True if {@code key} has a value. */
  public boolean containsKey(Key<?> key) {
    return names.contains(key.name());
  }

  /** Removes the first entry of {@code key} equal to {@code value}; returns whether there was one. */
  public <T> boolean remove(Key<T> key, T value) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(key.name()) && Objects.equals(key.parse(values.get(i)), value)) {
        makeMutable();
        names.remove(i);
        values.remove(i);
        return true;
      }
    }
    return false;
  }

  /** Removes every value of {@code key} and returns them, or null when there was none. */
  public <T> Iterable<T> removeAll(Key<T> key) {
    Iterable<T> all = getAll(key);
    if (all != null) {
      discard(key.name());
    }
    return all;
  }

  /** Removes every value of {@code key} without parsing them. */
  public <T> void discardAll(Key<T> key) {
    discard(key.name());
  }

  // ---------------------------------------------------------------------------------------------
  // String shorthand: ASCII keys

  /**
   * Adds an ASCII value for a key, after any values already there. The key is lower-cased.
   *
   * @throws IllegalArgumentException if the key is not a valid name, is a binary key (use {@link
   *     #put(Key, Object)} with a binary key), or the value holds a character outside printable ASCII
   */
  public Metadata put(String key, String value) {
    String name = asciiName(key);
    if (value == null) {
      throw new NullPointerException("value of metadata key '" + name + "' is null");
    }
    checkAsciiValue(name, value);
    makeMutable();
    names.add(name);
    values.add(value);
    return this;
  }

  /** The last value added for an ASCII key, or null. */
  public String get(String key) {
    String name = asciiName(key);
    for (int i = names.size() - 1; i >= 0; i--) {
      if (names.get(i).equals(name)) {
        return (String) values.get(i);
      }
    }
    return null;
  }

  /** Every value of an ASCII key, in the order added; empty when there is none. */
  public List<String> getAll(String key) {
    String name = asciiName(key);
    List<String> out = new ArrayList<>(1);
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i).equals(name)) {
        out.add((String) values.get(i));
      }
    }
    return out;
  }

  /** Removes every value of the key (ASCII or binary); returns whether there was one. */
  public boolean removeAll(String key) {
    return discard(validName(key));
  }

  /** True if the key (ASCII or binary) has a value. */
  public boolean containsKey(String key) {
    return names.contains(validName(key));
  }

  // ---------------------------------------------------------------------------------------------
  // The whole set

  /** Adds every entry of {@code other} (may be null). */
  public Metadata merge(Metadata other) {
    if (other != null && !other.isEmpty()) {
      makeMutable();
      names.addAll(other.names);
      values.addAll(other.values);
    }
    return this;
  }

  /** Adds the entries of {@code other} whose key is one of {@code keys}. */
  public void merge(Metadata other, Set<Key<?>> keys) {
    Set<String> wanted = new LinkedHashSet<>();
    for (Key<?> k : keys) {
      wanted.add(k.name());
    }
    for (int i = 0; i < other.names.size(); i++) {
      if (wanted.contains(other.names.get(i))) {
        makeMutable();
        names.add(other.names.get(i));
        values.add(other.values.get(i));
      }
    }
  }

  /** The distinct key names, in the order first added. */
  public Set<String> keys() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(names));
  }

  /** The number of entries (a key with two values counts twice). */
  public int size() {
    return names.size();
  }

  public boolean isEmpty() {
    return names.isEmpty();
  }

  /** The key name of entry {@code i}, for encoders. */
  public String keyAt(int i) {
    return names.get(i);
  }

  /** True if entry {@code i} belongs to a binary key. */
  public boolean isBinaryAt(int i) {
    return values.get(i) instanceof byte[];
  }

  /**
   * The text of entry {@code i}, for encoders.
   *
   * @throws IllegalStateException if the entry is binary (see {@link #bytesAt})
   */
  public String valueAt(int i) {
    Object v = values.get(i);
    if (v instanceof byte[]) {
      throw new IllegalStateException("entry " + i + " ('" + names.get(i) + "') is binary; read it with bytesAt");
    }
    return (String) v;
  }

  /**
   * The bytes of entry {@code i} as they travel: the ASCII text's bytes, or a binary value itself
   * (not copied: do not change it).
   */
  public byte[] bytesAt(int i) {
    Object v = values.get(i);
    return v instanceof byte[] ? (byte[]) v : ((String) v).getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Adds an entry as it came off the wire, checking it as {@link #put} would: the key name must be a
   * valid lower-case name; a binary key's value is kept as bytes, any other's must be printable ASCII.
   * For decoders.
   *
   * @throws IllegalArgumentException naming the key and the problem
   */
  public Metadata putWire(String name, byte[] value) {
    if (!validName(name).equals(name)) {
      throw new IllegalArgumentException("metadata key '" + name + "' is not lower-case");
    }
    Objects.requireNonNull(value, "value");
    Object stored;
    if (name.endsWith(BINARY_HEADER_SUFFIX)) {
      stored = value;
    } else {
      for (int i = 0; i < value.length; i++) {
        int b = value[i] & 0xFF;
        if (b < 0x20 || b > 0x7E) {
          throw new IllegalArgumentException(String.format(
              "the value of metadata key '%s' has byte 0x%02x at %d; ASCII values are printable ASCII", name, b, i));
        }
      }
      stored = new String(value, StandardCharsets.US_ASCII);
    }
    makeMutable();
    names.add(name);
    values.add(stored);
    return this;
  }

  private boolean discard(String name) {
    boolean removed = false;
    for (int i = names.size() - 1; i >= 0; i--) {
      if (names.get(i).equals(name)) {
        makeMutable();
        names.remove(i);
        values.remove(i);
        removed = true;
      }
    }
    return removed;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation

  /** The lower-cased name if valid; otherwise throws saying what is wrong with it. */
  static String validName(String key) {
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("metadata key is empty");
    }
    String name = key.toLowerCase(Locale.ROOT);
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if (!ok) {
        throw new IllegalArgumentException("metadata key '" + printable(key) + "' has " + describe(c) + " at " + i
            + "; keys may hold only a-z 0-9 - _ . (upper case is lowered)");
      }
    }
    return name;
  }

  private static String asciiName(String key) {
    String name = validName(key);
    if (name.endsWith(BINARY_HEADER_SUFFIX)) {
      throw new IllegalArgumentException("metadata key '" + name + "' is binary (it ends with " + BINARY_HEADER_SUFFIX
          + "); its values are bytes: use a Metadata.Key made with a BinaryMarshaller");
    }
    return name;
  }

  static void checkAsciiValue(String name, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7E) {
        throw new IllegalArgumentException("the value of metadata key '" + name + "' has " + describe(c) + " at " + i
            + "; ASCII values may hold only printable ASCII (0x20-0x7E): send other bytes under a key ending in "
            + BINARY_HEADER_SUFFIX);
      }
    }
  }

  private static String describe(char c) {
    return c >= 0x20 && c <= 0x7E ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c <= 0x7E ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Metadata)) {
      return false;
    }
    Metadata other = (Metadata) o;
    if (!names.equals(other.names)) {
      return false;
    }
    for (int i = 0; i < values.size(); i++) {
      Object a = values.get(i);
      Object b = other.values.get(i);
      boolean same = a instanceof byte[] ? b instanceof byte[] && java.util.Arrays.equals((byte[]) a, (byte[]) b) : a.equals(b);
      if (!same) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = names.hashCode();
    for (Object v : values) {
      h = h * 31 + (v instanceof byte[] ? java.util.Arrays.hashCode((byte[]) v) : v.hashCode());
    }
    return h;
  }

  /** The entries; binary values in base64. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Metadata{");
    for (int i = 0; i < names.size(); i++) {
      Object v = values.get(i);
      sb.append(i == 0 ? "" : ", ").append(names.get(i)).append('=')
          .append(v instanceof byte[] ? Base64.getEncoder().encodeToString((byte[]) v) : v);
    }
    return sb.append('}').toString();
  }
}
