package dev.spoke.shm;

import dev.spoke.internal.LogThrottle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's own copy of its hub's header, and the check that holds the hub to it. Any process that
 * maps the hub can write over the header — a plugin's stray write, or a hostile one — and every plugin,
 * and every plugin launched later, reads it; the host is the only one that knows what it must say.
 *
 * <p>The copy is taken once the header is complete: every 4-byte word of the 4096 bytes except the two
 * live words ({@link HubHeaderDescriptor#isLiveWord}: the host heartbeat, rewritten every interval
 * anyway, and the host doorbell's sequence, which producers bump), reserved bytes included, plus the
 * state the host last set. {@link #checkAndRepair} compares the file with it (the supervisor runs it
 * every heartbeat interval, and the host before every reservation, so a plugin launched right after an
 * attack finds a whole header), rewrites each word that differs, and writes the state last, with
 * release: a plugin that reads READY with acquire sees the repaired fields. What was wrong is logged
 * once per incident, and at most once a minute while incidents keep coming.
 *
 * <p>Thread-safe: checks and state changes run one at a time.
 */
final class HubHeaderGuard {

  private static final Logger log = LoggerFactory.getLogger(HubHeaderGuard.class);
  private static final int WORDS = HubHeaderDescriptor.LENGTH / 4;
  /** Named fields a log line lists before it only counts the rest. */
  private static final int NAMED_IN_MESSAGE = 6;

  private final SharedBuffer mem;
  private final int[] image = new int[WORDS];
  private volatile int state;
  private final LogThrottle incidents = new LogThrottle(TimeUnit.MINUTES.toNanos(1));
  private final AtomicLong repairs = new AtomicLong();

  /** Takes the copy from {@code mem}, whose header the host has just written in full. */
  HubHeaderGuard(SharedBuffer mem) {
    this.mem = mem;
    for (int w = 0; w < WORDS; w++) {
      image[w] = mem.getInt(w * 4L);
    }
    this.state = image[HubHeaderDescriptor.HUB_STATE / 4];
  }

  /**
   * Sets the hub's state, in the copy and then in the file (release: everything before is published).
   * Never inside a check, which would otherwise put the old state back.
   */
  synchronized void setState(int newState) {
    state = newState;
    mem.putIntRelease(HubHeaderDescriptor.HUB_STATE, newState);
  }

  /** The state the host last set. */
  int state() {
    return state;
  }

  /** How many times {@link #checkAndRepair} found the header changed and rewrote it. */
  long repairs() {
    return repairs.get();
  }

  /**
   * Compares the header in the file with the host's copy and rewrites every word that differs, the
   * state last with release. Returns what differed, as for a log line (it is logged here, rate-limited),
   * or null if the header was whole.
   */
  synchronized String checkAndRepair() {
    List<int[]> wrong = null;
    int wantState = state;
    for (int w = 0; w < WORDS; w++) {
      int offset = w * 4;
      if (HubHeaderDescriptor.isLiveWord(offset)) {
        continue;
      }
      boolean isState = offset == HubHeaderDescriptor.HUB_STATE;
      int want = isState ? wantState : image[w];
      int got = isState ? mem.getIntAcquire(offset) : mem.getInt(offset);
      if (got != want) {
        if (wrong == null) {
          wrong = new ArrayList<>();
        }
        wrong.add(new int[] {offset, got});
      }
    }
    if (wrong == null) {
      return null;
    }
    String what = describe(wrong, wantState);
    for (int[] word : wrong) {
      if (word[0] != HubHeaderDescriptor.HUB_STATE) {
        mem.putInt(word[0], image[word[0] / 4]);
      }
    }
    // NOTE: the state goes last, with release, whether or not it was hit: a plugin that reads READY with
    // acquire then sees every field rewritten above.
    mem.putIntRelease(HubHeaderDescriptor.HUB_STATE, wantState);
    repairs.incrementAndGet();
    long heldBack = incidents.admit();
    if (heldBack >= 0) {
      log.warn("the hub's header was overwritten by another process: {}; the host rewrote it{}", what,
          heldBack > 0 ? " (it was overwritten " + heldBack + " more times since the last report)" : "");
    }
    return what;
  }

  private static String describe(List<int[]> wrong, int wantState) {
    StringBuilder sb = new StringBuilder();
    String last = null;
    int named = 0;
    int more = 0;
    int reserved = 0;
    for (int[] word : wrong) {
      int offset = word[0];
      String field = HubHeaderDescriptor.fieldName(offset);
      if (field.equals(last)) {
        continue; // the other half of a u64
      }
      last = field;
      if (field.endsWith("reserved")) {
        reserved++;
        continue;
      }
      if (named == NAMED_IN_MESSAGE) {
        more++;
        continue;
      }
      sb.append(named++ == 0 ? "" : ", ").append(field);
      if (offset == HubHeaderDescriptor.HUB_STATE) {
        sb.append(" ").append(HubHeaderDescriptor.stateName(word[1]))
            .append(" (not ").append(HubHeaderDescriptor.stateName(wantState)).append(")");
      }
    }
    if (more > 0) {
      sb.append(named == 0 ? "" : ", ").append(more).append(" more fields");
    }
    if (reserved > 0) {
      sb.append(sb.length() == 0 ? "" : ", ").append(reserved).append(" reserved words");
    }
    return sb + " differed from what the host wrote";
  }
}
