package dev.spoke.transport;

/**
 * The fixed fields of a frame. A transport carries them verbatim next to the payload; only the call
 * layer gives them meaning (see {@link FrameKind} and docs/PROTOCOL.md).
 *
 * <p>Mutable and not thread-safe: a transport reuses one instance per receive thread, and each {@link
 * OutboundFrame} owns one until it is committed.
 */
public final class FrameHeader {

  /** The payload holds a message (after the metadata, when {@link #FLAG_METADATA} is set too). */
  public static final int FLAG_MESSAGE = 0x01;
  /**
   * The payload starts with length-prefixed metadata: request headers (CALL_START), response headers
   * (HEADERS), or the status description and trailers (CLOSE, GOAWAY).
   */
  public static final int FLAG_METADATA = 0x02;
  /** CALL_START or REQUEST_MESSAGE: the client sends nothing more after this frame (half-close). */
  public static final int FLAG_END_STREAM = 0x04;
  /**
   * CLOSE: the server sent response headers, and they travel here, in the trailers message (none when
   * the frame has no METADATA: empty headers).
   */
  public static final int FLAG_HEADERS = 0x08;
  /** Every flag defined; a frame with any other bit set is malformed. */
  public static final int KNOWN_FLAGS = FLAG_MESSAGE | FLAG_METADATA | FLAG_END_STREAM | FLAG_HEADERS;

  private FrameKind kind;
  private int flags;
  private long callId;
  private int methodId;
  private int status;
  private int credits;
  private long timeoutNanos;

  /** Clears every field. */
  public FrameHeader clear() {
    kind = null;
    flags = 0;
    callId = 0;
    methodId = 0;
    status = 0;
    credits = 0;
    timeoutNanos = 0;
    return this;
  }

  /** Copies every field of {@code other}. */
  public FrameHeader copyFrom(FrameHeader other) {
    kind = other.kind;
    flags = other.flags;
    callId = other.callId;
    methodId = other.methodId;
    status = other.status;
    credits = other.credits;
    timeoutNanos = other.timeoutNanos;
    return this;
  }

  /** The frame's kind. */
  public FrameKind kind() {
    return kind;
  }

  /** Sets the frame's kind. */
  public FrameHeader kind(FrameKind kind) {
    this.kind = kind;
    return this;
  }

  /** Bit set of {@code FLAG_*}. */
  public int flags() {
    return flags;
  }

  /** Sets the flags, {@code FLAG_*} or-ed together. */
  public FrameHeader flags(int flags) {
    this.flags = flags;
    return this;
  }

  /** True if {@code flag} is set. */
  public boolean hasFlag(int flag) {
    return (flags & flag) != 0;
  }

  /** The call this frame belongs to; ids are chosen by the side that starts the call, 0 is none. */
  public long callId() {
    return callId;
  }

  /** Sets the id of the call the frame belongs to. */
  public FrameHeader callId(long callId) {
    this.callId = callId;
    return this;
  }

  /** CALL_START: the method's 32-bit id. */
  public int methodId() {
    return methodId;
  }

  /** Sets the id of the called method (CALL_START frames). */
  public FrameHeader methodId(int methodId) {
    this.methodId = methodId;
    return this;
  }

  /** CLOSE, CANCEL and GOAWAY: the status code's number. */
  public int status() {
    return status;
  }

  /** Sets the status code's number (CLOSE, CANCEL and GOAWAY frames). */
  public FrameHeader status(int status) {
    this.status = status;
    return this;
  }

  /** REQUEST_CREDIT and RESPONSE_CREDIT: how many more messages the receiver grants. */
  public int credits() {
    return credits;
  }

  /** Sets how many more messages the receiver grants (REQUEST_CREDIT and RESPONSE_CREDIT frames). */
  public FrameHeader credits(int credits) {
    this.credits = credits;
    return this;
  }

  /** CALL_START: nanoseconds the call has left when sent, or 0 for no deadline. */
  public long timeoutNanos() {
    return timeoutNanos;
  }

  /** Sets the nanoseconds the call has left when sent (CALL_START frames; 0: no deadline). */
  public FrameHeader timeoutNanos(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
    return this;
  }

  @Override
  public String toString() {
    return "Frame{" + kind + ", call " + callId + ", flags 0x" + Integer.toHexString(flags)
        + (methodId != 0 ? ", method 0x" + Integer.toHexString(methodId) : "")
        + (status != 0 ? ", status " + status : "")
        + (credits != 0 ? ", credits " + credits : "")
        + (timeoutNanos != 0 ? ", timeout " + timeoutNanos + "ns" : "")
        + "}";
  }
}
