package dev.spoke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MetadataTest {

  private static final Metadata.Key<Integer> NUMBER = Metadata.Key.of("x-number", new Metadata.AsciiMarshaller<>() {
    @Override
    public String toAsciiString(Integer value) {
      return Integer.toString(value);
    }

    @Override
    public Integer parseAsciiString(String serialized) {
      return Integer.parseInt(serialized);
    }
  });
  private static final Metadata.Key<byte[]> BLOB = Metadata.Key.of("x-blob-bin", Metadata.BINARY_BYTE_MARSHALLER);

  @Test
  void typedKeysKeepOrderAndSeveralValues() {
    Metadata m = new Metadata();
    m.put(NUMBER, 1);
    m.put(NUMBER, 2);
    m.put(BLOB, new byte[] {0, (byte) 0xff});
    assertEquals(2, m.get(NUMBER));
    assertEquals(List.of(1, 2), m.getAll(NUMBER));
    assertNull(m.getAll(Metadata.Key.of("x-absent", Metadata.ASCII_STRING_MARSHALLER)));
    assertArrayEquals(new byte[] {0, (byte) 0xff}, m.get(BLOB));
    assertEquals(Set.of("x-number", "x-blob-bin"), m.keys());
    assertTrue(m.remove(NUMBER, 1));
    assertEquals(List.of(2), m.getAll(NUMBER));
    assertEquals(List.of(2), m.removeAll(NUMBER));
    assertFalse(m.containsKey(NUMBER));
    assertTrue(m.isBinaryAt(0));
    assertThrows(IllegalStateException.class, () -> m.valueAt(0));
    assertTrue(m.toString().contains("x-blob-bin=AP8="), m.toString());
  }

  @Test
  void theStringShorthandIsForAsciiKeysAndLowersCase() {
    Metadata m = Metadata.of("Trace-ID", "abc");
    assertEquals("abc", m.get("trace-id"));
    assertEquals("abc", m.get(Metadata.Key.of("TRACE-id", Metadata.ASCII_STRING_MARSHALLER)));
    assertEquals("trace-id", m.keyAt(0));
    assertThrows(IllegalArgumentException.class, () -> m.get("x-blob-bin"));
    assertTrue(m.removeAll("TRACE-ID"));
    assertTrue(m.isEmpty());
  }

  @Test
  void wireEntriesAreCheckedAsPutsAre() {
    Metadata m = new Metadata();
    m.putWire("x-blob-bin", new byte[] {10, 13, 0});
    m.putWire("x-text", "ok".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertArrayEquals(new byte[] {10, 13, 0}, m.get(BLOB));
    IllegalArgumentException control = assertThrows(IllegalArgumentException.class, () -> m.putWire("x-text", new byte[] {'a', 10}));
    assertTrue(control.getMessage().contains("0x0a at 1"), control.getMessage());
    assertThrows(IllegalArgumentException.class, () -> m.putWire("X-Upper", new byte[0]));
    assertEquals(2, m.size());
  }

  @Test
  void equalityComparesBinaryValuesByContent() {
    Metadata a = new Metadata();
    a.put(BLOB, new byte[] {1, 2});
    Metadata b = new Metadata();
    b.put(BLOB, new byte[] {1, 2});
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
  }
}
