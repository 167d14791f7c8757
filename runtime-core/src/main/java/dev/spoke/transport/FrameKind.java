package dev.spoke.transport;

/**
 * What a frame says. The numbers are the wire codes; docs/PROTOCOL.md describes each frame, which side
 * sends it, and which {@link FrameHeader} fields it uses.
 */
public enum FrameKind {
  /** Client to server: a new call of {@code methodId}; may carry headers and the first request. */
  CALL_START(1),
  /** Client to server: a request message. */
  REQUEST_MESSAGE(2),
  /** Client to server: no more request messages. */
  HALF_CLOSE(3),
  /** Client to server: the client gave up on the call; {@code status} says why. */
  CANCEL(4),
  /** Server to client: a response message. */
  RESPONSE_MESSAGE(5),
  /** Server to client: the call ended with {@code status}; may carry trailers and the last response. */
  CLOSE(6),
  /** Server to client: the client may send {@code credits} more request messages. */
  REQUEST_CREDIT(7),
  /** Client to server: the server may send {@code credits} more response messages. */
  RESPONSE_CREDIT(8),
  /** Either way, call id 0: the sender takes no new calls; calls already started go on. */
  GOAWAY(9),
  /** Server to client: the response headers, before any response message (METADATA flag, no message). */
  HEADERS(10);

  private static final FrameKind[] BY_CODE = new FrameKind[16];

  static {
    for (FrameKind k : values()) {
      BY_CODE[k.code] = k;
    }
  }

  private final int code;

  FrameKind(int code) {
    this.code = code;
  }

  /** The wire code. */
  public int code() {
    return code;
  }

  /** The kind with wire code {@code code}, or null if there is none: a malformed frame. */
  public static FrameKind fromCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /** True if the client of the call sends this kind (false: the server does, or it is GOAWAY). */
  public boolean sentByClient() {
    return this == CALL_START || this == REQUEST_MESSAGE || this == HALF_CLOSE || this == CANCEL
        || this == RESPONSE_CREDIT;
  }
}
