package dev.spoke.shm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The hub's shared structures alone, on one thread and no process boundary: the slot allocator's
 * allocate/free cycle and the descriptor ring's claim/publish/consume cycle, in a real mapped hub
 * file.
 *
 * <p>This class lives in {@code dev.spoke.shm} because {@link SlotAllocator} and {@link DescriptorRing}
 * are package-private; it uses nothing a test in that package would not.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HubStructuresBenchmark {

  private static final int OWNER = 0;
  private static final int EPOCH = 1;

  private Path dir;
  private HubFile file;
  private SlotAllocator slots;
  private DescriptorRing ring;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("spoke-bench-structures");
    HubConfig config = HubConfig.builder().directory(dir).maxPeers(1).build();
    file = HubFile.create(config, ProcessHandle.current().pid(), HubFile.currentProcessStartMillis());
    slots = new SlotAllocator(file.buffer(), file.layout());
    slots.format();
    ring = new DescriptorRing(file.buffer(), file.layout().hostToPeerRingOffset(0), config.ringCapacity(), "bench");
    ring.reset(EPOCH);
    ring.startConsuming(EPOCH);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    file.close();
    Files.deleteIfExists(dir);
  }

  /** Allocate a 1 KiB-class slot and free it: two CASes each way. */
  @Benchmark
  public long slotAllocateFree() {
    long ref = slots.tryAllocate(64, OWNER);
    slots.freeAllocated(ref, OWNER);
    return ref;
  }

  /** A slot's whole life in a call: allocate, mark in flight to the host, free as the receiver. */
  @Benchmark
  public long slotAllocateSendFree() {
    long ref = slots.tryAllocate(64, OWNER);
    slots.markInFlight(ref, OWNER, SlotDescriptor.HOST_ID);
    slots.freeInFlight(ref, OWNER, SlotDescriptor.HOST_ID);
    return ref;
  }

  /** Two threads allocating and freeing from the same class at once. */
  @Benchmark
  @Threads(2)
  public long slotAllocateFreeContended() {
    return slotAllocateFree();
  }

  /** One descriptor through the ring: claim, write, publish; then, as the consumer, read and advance. */
  @Benchmark
  public long ringPublishConsume() {
    long position = ring.tryClaim(EPOCH);
    long entry = ring.entryOffset(position);
    SharedBuffer mem = file.buffer();
    mem.putLong(entry + FrameDescriptor.CALL_ID_OFFSET, position);
    mem.putByte(entry + FrameDescriptor.KIND_OFFSET, (byte) 1);
    mem.putInt(entry + FrameDescriptor.PAYLOAD_LENGTH_OFFSET, 16);
    ring.publish(position);
    if (!ring.hasNext()) {
      throw new IllegalStateException("a published descriptor is not visible to its consumer");
    }
    long callId = mem.getLong(ring.entryOffset(ring.consumerPosition()) + FrameDescriptor.CALL_ID_OFFSET);
    ring.advance();
    return callId;
  }
}
