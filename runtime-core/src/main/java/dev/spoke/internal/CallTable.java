package dev.spoke.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The live calls of one direction of a connection, by call id: put by the thread that starts a call,
 * looked up by the receive thread for every frame, removed when the call ends. A map keyed by a
 * primitive, so nothing is boxed per call, split into stripes with a lock each: call ids are
 * consecutive, so concurrent callers mostly take different stripes, and a lookup never waits for long.
 *
 * <p>Thread-safe.
 *
 * @param <T> the call type
 */
final class CallTable<T> {

  private static final int STRIPES = 16;
  private final Stripe<T>[] stripes;

  @SuppressWarnings("unchecked")
  CallTable() {
    stripes = new Stripe[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe<>();
    }
  }

  private Stripe<T> stripe(long id) {
    return stripes[(int) (id & (STRIPES - 1))];
  }

  /** Adds a call; returns the call already under that id (and changes nothing), or null. */
  T putIfAbsent(long id, T call) {
    Stripe<T> s = stripe(id);
    synchronized (s) {
      T existing = s.get(id);
      if (existing == null) {
        s.put(id, call);
      }
      return existing;
    }
  }

  T get(long id) {
    Stripe<T> s = stripe(id);
    synchronized (s) {
      return s.get(id);
    }
  }

  /** Removes the call under {@code id} if it is {@code call}. */
  boolean remove(long id, T call) {
    Stripe<T> s = stripe(id);
    synchronized (s) {
      return s.remove(id, call);
    }
  }

  int size() {
    int n = 0;
    for (Stripe<T> s : stripes) {
      synchronized (s) {
        n += s.size;
      }
    }
    return n;
  }

  List<T> values() {
    List<T> out = new ArrayList<>();
    for (Stripe<T> s : stripes) {
      synchronized (s) {
        for (int i = 0; i < s.ids.length; i++) {
          if (s.calls[i] != null) {
            @SuppressWarnings("unchecked")
            T t = (T) s.calls[i];
            out.add(t);
          }
        }
      }
    }
    return out;
  }

  /** Open addressing with linear probing and backward-shift deletion (no tombstones). */
  private static final class Stripe<T> {
    long[] ids = new long[16];
    Object[] calls = new Object[16];
    int size;

    @SuppressWarnings("unchecked")
    T get(long id) {
      int mask = ids.length - 1;
      for (int i = mix(id) & mask; calls[i] != null; i = (i + 1) & mask) {
        if (ids[i] == id) {
          return (T) calls[i];
        }
      }
      return null;
    }

    void put(long id, Object call) {
      if ((size + 1) * 4 > ids.length * 3) {
        grow();
      }
      int mask = ids.length - 1;
      int i = mix(id) & mask;
      while (calls[i] != null) {
        i = (i + 1) & mask;
      }
      ids[i] = id;
      calls[i] = call;
      size++;
    }

    boolean remove(long id, Object call) {
      int mask = ids.length - 1;
      int i = mix(id) & mask;
      while (calls[i] != null && ids[i] != id) {
        i = (i + 1) & mask;
      }
      if (calls[i] == null || calls[i] != call) {
        return false;
      }
      // Shift later entries of the same probe run back, so lookups never stop at a hole early.
      int hole = i;
      for (int j = (i + 1) & mask; calls[j] != null; j = (j + 1) & mask) {
        int home = mix(ids[j]) & mask;
        boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
          ids[hole] = ids[j];
          calls[hole] = calls[j];
          hole = j;
        }
      }
      calls[hole] = null;
      size--;
      return true;
    }

    private void grow() {
      long[] oldIds = ids;
      Object[] oldCalls = calls;
      ids = new long[oldIds.length * 2];
      calls = new Object[oldCalls.length * 2];
      size = 0;
      for (int i = 0; i < oldIds.length; i++) {
        if (oldCalls[i] != null) {
          put(oldIds[i], oldCalls[i]);
        }
      }
    }

    private static int mix(long id) {
      long h = id * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 36); // ids in one stripe share their low bits; use high ones
    }
  }
}
