package dev.spoke.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import dev.spoke.Marshaller;
import dev.spoke.bench.proto.Payload;
import dev.spoke.protobuf.ProtoMarshallers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Serializing into and parsing out of a direct buffer, as the hub does with a slot: Spoke's protobuf
 * marshaller against the baselines.
 *
 * <p>{@link #parseBaseline} is the least a receiver can do to own a message that sits in shared
 * memory: one copy into a fresh array and a parse that aliases it (the receive path of DESIGN.md). The
 * bytes it or {@link #parseSpoke} allocates, whichever is less, are what "the message" costs; the
 * harness subtracts twice that (the request on the server, the response on the client) from a whole
 * call's allocation to get the framework's own.
 */
@State(Scope.Thread)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class MarshallingBenchmark {

  @Param({"16", "1024", "65536"})
  public int size;

  private final Marshaller<Payload> marshaller = ProtoMarshallers.marshaller(Payload.getDefaultInstance());
  private Payload message;
  private ByteBuffer slot;
  private ByteBuffer serialized;

  @Setup
  public void setUp() throws IOException {
    message = Payloads.ofSize(size);
    slot = ByteBuffer.allocateDirect(size);
    serialized = ByteBuffer.allocateDirect(size);
    marshaller.writeTo(message, serialized);
    serialized.flip();
  }

  /** Spoke's send path: serialize straight into the slot. */
  @Benchmark
  public ByteBuffer serializeSpoke() throws IOException {
    slot.clear();
    marshaller.writeTo(message, slot);
    return slot;
  }

  /** The common alternative: serialize into a new array (that would then be copied into the slot). */
  @Benchmark
  public byte[] serializeToByteArray() {
    return message.toByteArray();
  }

  /**
   * Spoke's receive path: the call layer copies the slot's bytes into a fresh array and hands it to the
   * marshaller (see {@code Connection.copy} and {@code Marshaller.parse(byte[], int, int)}).
   */
  @Benchmark
  public Payload parseSpoke() throws IOException {
    byte[] copy = new byte[serialized.remaining()];
    serialized.duplicate().get(copy);
    return marshaller.parse(copy, 0, copy.length);
  }

  /** The least a receiver can allocate for a message: one copy out of the slot, parsed with aliasing. */
  @Benchmark
  public Payload parseBaseline() throws IOException {
    byte[] copy = new byte[serialized.remaining()];
    serialized.duplicate().get(copy);
    CodedInputStream in = UnsafeByteOperations.unsafeWrap(copy).newCodedInput();
    in.enableAliasing(true);
    return Payload.parser().parseFrom(in);
  }
}
