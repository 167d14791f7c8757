package dev.spoke.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

class CallTableTest {

  @Test
  void behavesLikeAMapUnderRandomOperations() {
    CallTable<Object> table = new CallTable<>();
    Map<Long, Object> reference = new HashMap<>();
    Random rnd = new Random(11);
    for (int op = 0; op < 300_000; op++) {
      // Ids cluster like real call ids (consecutive) with some far apart, to exercise probe runs.
      long id = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextInt(2_000);
      switch (rnd.nextInt(3)) {
        case 0: {
          Object call = new Object();
          Object before = table.putIfAbsent(id, call);
          assertSame(reference.get(id), before);
          reference.putIfAbsent(id, call);
          break;
        }
        case 1: {
          Object current = reference.get(id);
          Object other = new Object();
          assertFalse(table.remove(id, other), "removes only the given call");
          assertEquals(current != null, table.remove(id, current));
          reference.remove(id);
          break;
        }
        default:
          assertSame(reference.get(id), table.get(id));
      }
      if (op % 10_000 == 0) {
        assertEquals(reference.size(), table.size());
        assertEquals(new HashSet<>(reference.values()), new HashSet<>(table.values()));
      }
    }
    for (Map.Entry<Long, Object> e : reference.entrySet()) {
      assertSame(e.getValue(), table.get(e.getKey()));
    }
  }

  @Test
  void concurrentCallersAndALookingUpReceiver() throws Exception {
    CallTable<Object> table = new CallTable<>();
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int base = t;
      Thread th = new Thread(() -> {
        for (long i = 0; i < 200_000; i++) {
          long id = i * 4 + base;
          Object call = new Object();
          if (table.putIfAbsent(id, call) != null) {
            failures.add("id " + id + " was taken");
          }
          if (table.get(id) != call) {
            failures.add("id " + id + " not found after put");
          }
          if (!table.remove(id, call)) {
            failures.add("id " + id + " could not be removed");
          }
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertTrue(failures.isEmpty(), () -> failures.peek());
    assertEquals(0, table.size());
    assertNull(table.get(7));
  }
}
