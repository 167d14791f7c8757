package dev.spoke;

/**
 * Tells a failed call that never ran on the server from one that may have: the difference between a
 * call that is safe to make again and one that is not, unless it is idempotent.
 *
 * <p>A call never ran when its request never reached the server's application: it was refused before
 * it was sent (the channel was not ready, the connection was closing, its deadline had passed), the
 * server refused it unread (it was shutting down, or serves no such method), or the server's process
 * died before reading it — the transport then reports it unread (see docs/PROTOCOL.md). Spoke marks the
 * trailers of such a call's status with {@link #KEY}; every other failure may have run, in part or in
 * whole. Channels that retry ({@link ServiceConfig}) make an {@code UNAVAILABLE} call that never ran
 * again by themselves, without counting it as an attempt.
 *
 * <pre>{@code
 * } catch (StatusRuntimeException e) {
 *   if (CallNotRun.isMarked(e)) {
 *     // nothing happened on the server: safe to try again
 *   }
 * }
 * }</pre>
 *
 * <p>The mark is the server's word when the server sent it, and the transport's when a process died:
 * a plugin that rewrites its own ring can make a call it ran look unread, which harms only its callers'
 * view of it.
 *
 * <p>Thread-safe.
 */
public final class CallNotRun {

  /** The trailer that marks a call that never ran; its value says how it was stopped. */
  public static final Metadata.Key<String> KEY = Metadata.Key.of("spoke-not-run", Metadata.ASCII_STRING_MARSHALLER);

  /** The call was refused on this side before it was sent. */
  public static final String NOT_SENT = "not-sent";
  /** The server refused the call without running it. */
  public static final String REFUSED = "refused";
  /** The server's process died (or the connection closed) before it read the call. */
  public static final String UNREAD = "unread";

  private CallNotRun() {}

  /** True if {@code trailers} (may be null) say the call never ran. */
  public static boolean isMarked(Metadata trailers) {
    return trailers != null && trailers.containsKey(KEY);
  }

  /** True if the trailers of the first status exception in {@code t}'s cause chain say the call never ran. */
  public static boolean isMarked(Throwable t) {
    return isMarked(Status.trailersFromThrowable(t));
  }

  /** Marks {@code trailers} (returned) as those of a call that never ran, {@code how} being one of the constants here. */
  public static Metadata mark(Metadata trailers, String how) {
    if (!trailers.containsKey(KEY)) {
      trailers.put(KEY, how);
    }
    return trailers;
  }
}
