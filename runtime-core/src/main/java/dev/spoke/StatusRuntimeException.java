package dev.spoke;

/**
 * The unchecked form of {@link StatusException}, thrown by blocking stubs and usable by handlers that
 * cannot throw checked exceptions.
 */
public class StatusRuntimeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Status status;
  private final transient Metadata trailers;

  /** An exception carrying {@code status}, without trailers. */
  public StatusRuntimeException(Status status) {
    this(status, null);
  }

  /** An exception carrying {@code status} and the trailers that came with it. */
  public StatusRuntimeException(Status status, Metadata trailers) {
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
