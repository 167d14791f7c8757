package dev.spoke;

/**
 * A checked exception carrying a {@link Status} and optional trailers. Thrown by a server handler it
 * ends the call with that status; received by a client it says how the call ended.
 */
public class StatusException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Status status;
  private final transient Metadata trailers;

  /** An exception carrying {@code status}, without trailers. */
  public StatusException(Status status) {
    this(status, null);
  }

  /** An exception carrying {@code status} and the trailers that came with it. */
  public StatusException(Status status, Metadata trailers) {
    super(status.toString(), status.getCause());
    this.status = status;
    this.trailers = trailers;
  }

  /** The status the call ended with. */
  public final Status getStatus() {
    return status;
  }

  /** The trailers that came with the status, or null. */
  public final Metadata getTrailers() {
    return trailers;
  }
}
