package dev.spoke.shm;

import dev.spoke.Status;
import dev.spoke.StatusException;
import dev.spoke.transport.FrameHeader;
import dev.spoke.transport.FrameKind;
import dev.spoke.transport.FrameListener;
import dev.spoke.transport.OutboundFrame;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child side of the cross-process hub tests. It reports on stdout ({@code READY}, {@code DONE …},
 * {@code FAIL …}) and takes commands on stdin. Modes:
 *
 * <ul>
 *   <li>{@code consume hub peer token threads perThread}: checks every producer thread's sequence.
 *   <li>{@code alloc hub peer token iterations}: allocator stress, stamping and checking every slot.
 *   <li>{@code echo hub peer token idleStrategy}: sends every frame back.
 *   <li>{@code stream hub peer token}: floods the host and holds slots, until killed.
 *   <li>{@code rogue hub}: for each {@code case peer token n} on stdin, attaches and writes a broken descriptor.
 * </ul>
 */
public final class HubTestChild {

  static final long TIMEOUT_XOR = 0x5A5A_A5A5_5A5A_A5A5L;

  public static void main(String[] args) throws Exception {
    try {
      switch (args[0]) {
        case "consume":
          consume(Paths.get(args[1]), Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
          break;
        case "alloc":
          alloc(Paths.get(args[1]), Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]));
          break;
        case "echo":
          echo(Paths.get(args[1]), Integer.parseInt(args[2]), args[3], IdleStrategy.valueOf(args[4]));
          break;
        case "stream":
          stream(Paths.get(args[1]), Integer.parseInt(args[2]), args[3]);
          break;
        case "rogue":
          rogue(Paths.get(args[1]));
          break;
        case "scribble":
          scribble(Paths.get(args[1]), java.util.Arrays.copyOfRange(args, 2, args.length));
          break;
        case "leave-when-told":
          leaveWhenTold(Paths.get(args[1]), Integer.parseInt(args[2]), args[3]);
          break;
        default:
          say("FAIL unknown mode " + args[0]);
      }
    } catch (Throwable t) {
      say("FAIL " + t);
      t.printStackTrace(System.err);
      System.exit(2);
    }
    System.exit(0);
  }

  static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  static HubConfig config(IdleStrategy idle) {
    return HubConfig.builder().idleStrategy(idle).build();
  }

  // ---------------------------------------------------------------------------------------------

  private static void consume(Path hub, int peerId, String token, int threads, int perThread) throws Exception {
    HubPeer peer = HubPeer.attach(hub, peerId, token, "consumer", config(IdleStrategy.BALANCED));
    long[] next = new long[threads];
    AtomicLong received = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    StringBuilder firstError = new StringBuilder();
    long total = (long) threads * perThread;
    CountDownLatch done = new CountDownLatch(1);
    peer.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader h, ByteBuffer payload) {
        long id = h.callId();
        int t = (int) (id >>> 32);
        long seq = id & 0xFFFFFFFFL;
        String bad = null;
        if (t < 0 || t >= threads) {
          bad = "thread " + t + " out of range";
        } else if (seq != next[t]) {
          bad = "thread " + t + ": expected " + next[t] + ", got " + seq + (seq < next[t] ? " (duplicate)" : " (lost)");
        } else if (h.methodId() != t || h.credits() != (int) seq || h.timeoutNanos() != (id ^ TIMEOUT_XOR)
            || h.kind() != FrameKind.REQUEST_MESSAGE || payload.remaining() != 16
            || payload.getLong(payload.position()) != id || payload.getLong(payload.position() + 8) != ~id) {
          bad = "torn descriptor for thread " + t + " seq " + seq + ": " + h;
        }
        if (bad != null) {
          if (errors.getAndIncrement() == 0) {
            firstError.append(bad);
          }
        } else {
          next[t]++;
        }
        if (received.incrementAndGet() == total) {
          done.countDown();
        }
      }

      @Override
      public void onTransportClosed(Status status) {
        done.countDown();
      }
    });
    say("READY");
    if (!done.await(120, TimeUnit.SECONDS)) {
      say("FAIL only " + received.get() + " of " + total + " frames arrived");
      return;
    }
    say("DONE " + received.get() + " " + errors.get() + " " + firstError);
  }

  // ---------------------------------------------------------------------------------------------

  private static void alloc(Path hub, int peerId, String token, int iterations) throws Exception {
    HubPeer peer = HubPeer.attach(hub, peerId, token, "allocator", config(IdleStrategy.LOW_CPU));
    HubFile file = HubFile.open(hub);
    SlotAllocator slots = new SlotAllocator(file.buffer(), file.layout());
    say("READY");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (!"GO".equals(in.readLine())) {
      say("FAIL no GO");
      return;
    }
    long failures = stampAndCheck(slots, peerId, iterations, new Random(peerId), null);
    say("DONE " + iterations + " " + failures);
    peer.close();
  }

  /**
   * Allocates slots of every class in a random pattern, stamps owner, round and reference into each,
   * and checks the stamps before freeing: a slot handed to two owners (in any process) shows up as a
   * foreign stamp. Returns the number of failures; the first is described in {@code firstFailure}.
   */
  static long stampAndCheck(SlotAllocator slots, int owner, int iterations, Random rnd, StringBuilder firstFailure) {
    long failures = 0;
    long[] held = new long[4];
    int[] sizes = new int[4];
    for (int i = 0; i < iterations; i++) {
      int count = 1 + rnd.nextInt(held.length);
      for (int k = 0; k < count; k++) {
        int c = rnd.nextInt(slots.classCount());
        int low = c == 0 ? 24 : slots.slotSize(c - 1) + 1; // 24: room for the stamps
        sizes[k] = low + rnd.nextInt(slots.slotSize(c) - low + 1);
      }
      // Take all of this round's slots or none: holding some while waiting for more would deadlock
      // against the other processes doing the same.
      long start = System.nanoTime();
      int got = 0;
      while (got < count) {
        long ref = slots.tryAllocate(sizes[got], owner);
        if (ref != SlotAllocator.NONE) {
          held[got++] = ref;
          continue;
        }
        for (int k = 0; k < got; k++) {
          slots.freeAllocated(held[k], owner);
        }
        got = 0;
        if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(30)) {
          return failures + 1_000_000; // starved for 30 s: something leaked
        }
        Thread.yield();
      }
      for (int k = 0; k < count; k++) {
        long ref = held[k];
        ByteBuffer v = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, sizes[k]);
        long stamp = ((long) owner << 48) ^ ((long) i << 8) ^ k;
        v.putLong(0, stamp);
        v.putLong(8, ref);
        v.putLong(sizes[k] - 8, stamp ^ ref);
      }
      for (int k = 0; k < count; k++) {
        long ref = held[k];
        ByteBuffer v = slots.view(SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), 0, sizes[k]);
        long stamp = ((long) owner << 48) ^ ((long) i << 8) ^ k;
        if (v.getLong(0) != stamp || v.getLong(8) != ref || v.getLong(sizes[k] - 8) != (stamp ^ ref)) {
          if (failures++ == 0 && firstFailure != null) {
            firstFailure.append("foreign stamp in ").append(SlotAllocator.describe(ref));
          }
        }
        if (!slots.freeAllocated(ref, owner)) {
          if (failures++ == 0 && firstFailure != null) {
            firstFailure.append("could not free ").append(SlotAllocator.describe(ref));
          }
        }
      }
    }
    return failures;
  }

  // ---------------------------------------------------------------------------------------------

  private static void echo(Path hub, int peerId, String token, IdleStrategy idle) throws Exception {
    HubPeer peer = HubPeer.attach(hub, peerId, token, "echo", config(idle));
    CountDownLatch gone = new CountDownLatch(1);
    HubTransport t = peer.transport();
    t.start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader h, ByteBuffer payload) {
        try {
          OutboundFrame f = t.claim(payload.remaining(), Long.MAX_VALUE);
          f.payload().put(payload.duplicate());
          f.header().copyFrom(h);
          f.commit();
        } catch (StatusException e) {
          say("FAIL echo: " + e.getStatus());
        }
      }

      @Override
      public void onTransportClosed(Status status) {
        gone.countDown();
      }
    });
    peer.onHostGone(s -> gone.countDown());
    say("READY " + ProcessHandle.current().pid());
    gone.await();
    say("GONE");
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A hostile process that maps the hub and writes raw state words over slot records, as given:
   * "class:index:word" (the word in hex). Attaches to nothing.
   */
  private static void scribble(Path hub, String[] writes) throws Exception {
    HubFile file = HubFile.open(hub);
    for (String w : writes) {
      String[] parts = w.split(":");
      long offset = file.layout().slotRecordOffset(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
      file.buffer().putLongVolatile(offset, Long.parseUnsignedLong(parts[2], 16));
    }
    say("SCRIBBLED " + writes.length);
  }

  /**
   * A plugin that relies on the host-gone callback alone to know it must leave (as SpokePeer does):
   * prints "HOSTGONE reason" and exits 3 when told, and nothing else ends it.
   */
  private static void leaveWhenTold(Path hub, int peerId, String token) throws Exception {
    HubPeer peer = HubPeer.attach(hub, peerId, token, "leaver", config(IdleStrategy.BALANCED));
    CountDownLatch told = new CountDownLatch(1);
    peer.onHostGone(s -> {
      say("HOSTGONE " + s.getDescription());
      told.countDown();
    });
    peer.transport().start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader h, ByteBuffer payload) {}

      @Override
      public void onTransportClosed(Status status) {}
    });
    say("READY " + ProcessHandle.current().pid());
    told.await();
    System.exit(3);
  }

  // ---------------------------------------------------------------------------------------------

  private static void stream(Path hub, int peerId, String token) throws Exception {
    HubPeer peer = HubPeer.attach(hub, peerId, token, "stream", config(IdleStrategy.BALANCED));
    HubTransport t = peer.transport();
    t.start(new FrameListener() {
      @Override
      public void onFrame(FrameHeader h, ByteBuffer payload) {}

      @Override
      public void onTransportClosed(Status status) {}
    });
    // Hold a few slots and never give them back: reclaim must find them.
    HubFile file = HubFile.open(hub);
    SlotAllocator slots = new SlotAllocator(file.buffer(), file.layout());
    for (int c = 0; c < slots.classCount(); c++) {
      slots.tryAllocate(slots.slotSize(c), peerId);
    }
    Random rnd = new Random();
    for (long i = 0; ; i++) {
      int size = rnd.nextInt(4) == 0 ? rnd.nextInt(300_000) : rnd.nextInt(2_000);
      OutboundFrame f = t.claim(size, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
      ByteBuffer p = f.payload();
      while (p.hasRemaining()) {
        p.put((byte) i);
      }
      f.header().clear().kind(FrameKind.REQUEST_MESSAGE).flags(FrameHeader.FLAG_MESSAGE).callId(i);
      f.commit();
      if (i == 20) {
        say("STREAMING");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void rogue(Path hub) throws Exception {
    HubFile file = HubFile.open(hub);
    SharedBuffer mem = file.buffer();
    HubLayout layout = file.layout();
    SlotAllocator slots = new SlotAllocator(mem, layout);
    Doorbell hostDoorbell = new Doorbell(mem, HubHeaderDescriptor.HOST_DOORBELL_OFFSET);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    say("READY");
    String line;
    while ((line = in.readLine()) != null && !line.equals("quit")) {
      String[] w = line.split(" ");
      int peerId = Integer.parseInt(w[1]);
      String token = w[2];
      int n = Integer.parseInt(w[3]);
      int epoch = attachRaw(mem, layout, peerId, token);
      DescriptorRing ring = new DescriptorRing(mem, layout.peerToHostRingOffset(peerId), layout.ringCapacity, "rogue");
      long position = ring.tryClaim(epoch);
      if (position < 0) {
        say("FAIL could not claim: " + position);
        continue;
      }
      long e = ring.entryOffset(position);
      String what = writeBroken(mem, slots, e, peerId, n, new Random(n));
      if (mem.getByte(e + FrameDescriptor.MODE_OFFSET) == FrameDescriptor.MODE_PADDING) {
        // Random bytes, or a flip of inline (0) to padding (2), made a valid entry that carries nothing.
        what += ", a padding entry now";
      }
      ring.publish(position);
      SharedBuffer.fullFence();
      if (ring.isConsumerParked()) {
        hostDoorbell.wake();
      }
      say("SENT " + n + " " + what);
    }
  }

  /** The attach protocol without any threads: a rogue takes its entry the same way a plugin does. */
  private static int attachRaw(SharedBuffer mem, HubLayout layout, int peerId, String token) {
    long e = layout.peerEntryOffset(peerId);
    int epoch = Integer.parseInt(token.substring(0, token.indexOf('.')));
    if (mem.getInt(e + PeerEntryDescriptor.EPOCH_OFFSET) != epoch
        || mem.getLong(e + PeerEntryDescriptor.TOKEN_HASH_OFFSET) != HubHost.tokenHash(token)) {
      throw new IllegalStateException("reservation mismatch for peer " + peerId);
    }
    mem.putLong(e + PeerEntryDescriptor.PID_OFFSET, ProcessHandle.current().pid());
    mem.putLongRelease(e + PeerEntryDescriptor.HEARTBEAT_OFFSET, System.nanoTime());
    if (!mem.compareAndSetInt(e + PeerEntryDescriptor.STATE_OFFSET, PeerEntryDescriptor.RESERVED, PeerEntryDescriptor.ACTIVE)) {
      throw new IllegalStateException("entry " + peerId + " not RESERVED");
    }
    return epoch;
  }

  /** Writes case {@code n}'s broken descriptor at {@code e} (all but the sequence); returns what it is. */
  static String writeBroken(SharedBuffer mem, SlotAllocator slots, long e, int self, int n, Random rnd) {
    // Start from a valid inline frame, then break it.
    mem.putLong(e + FrameDescriptor.CALL_ID_OFFSET, rnd.nextLong());
    mem.putLong(e + FrameDescriptor.TIMEOUT_OFFSET, 0);
    mem.putInt(e + FrameDescriptor.METHOD_ID_OFFSET, rnd.nextInt());
    mem.putInt(e + FrameDescriptor.STATUS_OFFSET, 0);
    mem.putInt(e + FrameDescriptor.CREDITS_OFFSET, 0);
    mem.putByte(e + FrameDescriptor.KIND_OFFSET, (byte) FrameKind.REQUEST_MESSAGE.code());
    mem.putByte(e + FrameDescriptor.FLAGS_OFFSET, (byte) FrameHeader.FLAG_MESSAGE);
    mem.putByte(e + FrameDescriptor.MODE_OFFSET, FrameDescriptor.MODE_INLINE);
    mem.putByte(e + FrameDescriptor.SIZE_CLASS_OFFSET, (byte) 0);
    mem.putInt(e + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, 8);
    int classes = slots.classCount();
    switch (n % 12) {
      case 0: {
        byte[] junk = new byte[56];
        rnd.nextBytes(junk);
        mem.putBytes(e + 8, junk, 0, junk.length);
        return "random bytes";
      }
      case 1: {
        int flips = 1 + rnd.nextInt(3);
        for (int i = 0; i < flips; i++) {
          int bit = 64 + rnd.nextInt(56 * 8);
          long at = e + bit / 8;
          mem.putByte(at, (byte) (mem.getByte(at) ^ (1 << (bit % 8))));
        }
        return flips + " bit flips";
      }
      case 2:
        slotMode(mem, e, classes + rnd.nextInt(200), 0, 0, 0, 8);
        return "size class out of range";
      case 3:
        slotMode(mem, e, rnd.nextInt(classes), rnd.nextBoolean() ? -1 - rnd.nextInt(1000) : slots.slotCount(0) * 1000 + rnd.nextInt(1000), 0, 0, 8);
        return "slot index out of range";
      case 4:
        slotMode(mem, e, 0, rnd.nextInt(slots.slotCount(0)), rnd.nextInt(), 0, 8);
        return "slot not in flight";
      case 5: {
        long ref = slots.tryAllocate(8, self);
        slotMode(mem, e, SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), SlotAllocator.refGeneration(ref), 0, 8);
        return "slot allocated but not sent";
      }
      case 6: {
        long ref = slots.tryAllocate(8, self);
        slots.markInFlight(ref, self, SlotDescriptor.HOST_ID);
        slotMode(mem, e, SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), SlotAllocator.refGeneration(ref) + 1 + rnd.nextInt(5), 0, 8);
        return "wrong generation";
      }
      case 7: {
        long ref = slots.tryAllocate(8, self);
        slots.markInFlight(ref, self, SlotDescriptor.HOST_ID);
        int size = slots.slotSize(SlotAllocator.refClass(ref));
        boolean overflow = rnd.nextBoolean();
        slotMode(mem, e, SlotAllocator.refClass(ref), SlotAllocator.refIndex(ref), SlotAllocator.refGeneration(ref),
            overflow ? Integer.MAX_VALUE - 3 : rnd.nextInt(64), overflow ? 8 : size + 1 + rnd.nextInt(1000));
        return "extent beyond the slot";
      }
      case 8:
        mem.putInt(e + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, rnd.nextBoolean() ? 21 + rnd.nextInt(1000) : -1 - rnd.nextInt(1000));
        return "inline length out of range";
      case 9:
        mem.putByte(e + FrameDescriptor.KIND_OFFSET, (byte) (rnd.nextBoolean() ? 0 : 10 + rnd.nextInt(246)));
        return "unknown kind";
      case 10:
        mem.putByte(e + FrameDescriptor.FLAGS_OFFSET, (byte) (0x08 << rnd.nextInt(5)));
        return "unknown flags";
      default:
        mem.putByte(e + FrameDescriptor.MODE_OFFSET, (byte) (3 + rnd.nextInt(253)));
        return "unknown payload mode";
    }
  }

  private static void slotMode(SharedBuffer mem, long e, int sizeClass, int index, int generation, int offset, int length) {
    mem.putByte(e + FrameDescriptor.MODE_OFFSET, FrameDescriptor.MODE_SLOT);
    mem.putByte(e + FrameDescriptor.SIZE_CLASS_OFFSET, (byte) sizeClass);
    mem.putInt(e + FrameDescriptor.SLOT_INDEX_OFFSET, index);
    mem.putInt(e + FrameDescriptor.SLOT_GENERATION_OFFSET, generation);
    mem.putInt(e + FrameDescriptor.SLOT_OFFSET_OFFSET, offset);
    mem.putInt(e + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, length);
  }
}
