package dev.spoke;

import dev.spoke.internal.HeldMessages;
import dev.spoke.transport.RetainedPayload;
import java.nio.ByteBuffer;

/**
 * Zero-copy receive: a message whose marshaller reads in place ({@link Marshaller#readsInPlace()})
 * arrives as a view of the slot of shared memory its sender wrote, not as a copy, and holds that slot
 * until it is released.
 *
 * <p><b>Lifetime.</b>
 *
 * <ul>
 *   <li>A response (client side) holds its slot until {@link #release} is called with it.
 *   <li>A request (server side) holds its slot until {@link #release} is called with it, or else until
 *       its call ends (after {@code onComplete} or {@code onCancel} ran): a handler need not release the
 *       requests it answered from, and may send a response that reads the request's bytes. A handler
 *       that passes a request to another thread, which may read it after the call ended (a cancel does
 *       not stop that thread), calls {@link #keep} first, and that thread releases it.
 *   <li>Every message held counts against the pool of slots, not against flow control: a streaming
 *       handler (or a client reading a stream) should release each message once done with it. A stream
 *       whose messages are all kept runs the pool's class dry, and its sender's next message then fails
 *       with {@code RESOURCE_EXHAUSTED} naming who holds the slots.
 *   <li>Messages the stubs never hand out (a unary call's response when the call failed, an extra
 *       response, the unread rest of a blocking stream that is closed) are released by the stubs.
 *   <li>A plugin's messages lose their slots when the host disconnects the plugin: the host takes back
 *       every slot the plugin held, and their bytes change after that.
 *   <li>After release its bytes must not be read: the slot carries other messages from then on.
 *   <li>A message dropped without release holds its slot until the garbage collector finds it
 *       unreachable; the slot is freed then, and the leak counted ({@link #leaks()}) and logged with a
 *       warning. A process that leaks slots starves its own sends and, on the host, every plugin's.
 * </ul>
 *
 * <p><b>Trust.</b> The slot stays in shared memory: a plugin that misbehaves could still write to a
 * message the host holds. Copy out what must be checked and then relied on.
 *
 * <p><b>Protobuf.</b> Protobuf messages are always copied out of their slot, once: protobuf-java 4.x
 * represents {@code bytes} fields only over heap arrays (direct buffers are copied), so a message cannot
 * share shared memory. Methods whose messages are raw bytes use {@link #byteBuffers()}; a format that reads
 * in place (FlatBuffers, say) implements {@link Marshaller#readsInPlace()} itself.
 *
 * <p>Over a transport that cannot lend its buffers (the in-process server), messages of such methods are
 * copies, and releasing them does nothing. Thread-safe.
 */
public final class ZeroCopy {

  private ZeroCopy() {}

  /**
   * A marshaller of raw bytes that reads in place: a message is a read-only {@link ByteBuffer} from
   * position 0 to its limit; received over the hub, it is a view of the slot itself. Writing copies the
   * remaining bytes of the buffer given (its position is left unchanged).
   */
  public static Marshaller<ByteBuffer> byteBuffers() {
    return ByteBufferMarshaller.INSTANCE;
  }

  /**
   * Releases the slot {@code message} holds. Returns true if it held one and this call released it;
   * false for a message that holds none (a copy, a message sent rather than received, one released
   * already). Any thread.
   */
  public static boolean release(Object message) {
    return HeldMessages.release(message);
  }

  /**
   * Keeps a request beyond its call: the call will not release it when it ends, so a handler that hands
   * the request to another thread (which may still read it after the call completes or is cancelled)
   * calls this first, and that thread calls {@link #release} when done. Returns false if the message
   * holds no slot (nothing to keep: it is a copy). Any thread, before the call ends.
   */
  public static boolean keep(Object message) {
    return HeldMessages.keep(message);
  }

  /** True if {@code message} was received in place and still holds its slot. */
  public static boolean isHeld(Object message) {
    return HeldMessages.isHeld(message);
  }

  /** Received messages of this process that hold a slot now. */
  public static int heldCount() {
    return HeldMessages.count();
  }

  /** Slots of this process freed only because their message was collected without a release. */
  public static long leaks() {
    return RetainedPayload.leaks();
  }

  private static final class ByteBufferMarshaller implements Marshaller<ByteBuffer> {
    static final ByteBufferMarshaller INSTANCE = new ByteBufferMarshaller();

    @Override
    public int serializedSize(ByteBuffer value) {
      return value.remaining();
    }

    @Override
    public void writeTo(ByteBuffer value, ByteBuffer target) {
      target.put(value.duplicate());
    }

    @Override
    public ByteBuffer parse(ByteBuffer source) {
      ByteBuffer view = source.slice().asReadOnlyBuffer();
      source.position(source.limit());
      return view;
    }

    @Override
    public ByteBuffer parse(byte[] bytes, int offset, int length) {
      return ByteBuffer.wrap(bytes, offset, length).slice().asReadOnlyBuffer();
    }

    @Override
    public boolean readsInPlace() {
      return true;
    }

    @Override
    public String toString() {
      return "ZeroCopy.byteBuffers()";
    }
  }
}
