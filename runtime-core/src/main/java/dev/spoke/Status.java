package dev.spoke;

import java.util.Objects;

/**
 * The outcome of a call: a {@link Code}, an optional human-readable description and an optional local
 * cause. The codes and their numbers are gRPC's, so a status means the same thing on both sides of the
 * remote bridge; this class holds the one table of them that the whole framework uses.
 *
 * <p>Immutable and thread-safe. Derive variants with {@link #withDescription}, {@link
 * #augmentDescription} and {@link #withCause}.
 */
public final class Status {

  /** The canonical status codes, with gRPC's numbers. */
  public enum Code {
    /** Not an error: the call succeeded. */
    OK(0),
    /** The call was cancelled, usually by its caller. */
    CANCELLED(1),
    /** An error of no other kind, such as an exception from a handler. */
    UNKNOWN(2),
    /** The caller sent an argument that is wrong whatever the state of the system. */
    INVALID_ARGUMENT(3),
    /** The deadline passed before the call finished. */
    DEADLINE_EXCEEDED(4),
    /** Something the call asked for does not exist. */
    NOT_FOUND(5),
    /** Something the call tried to create exists already. */
    ALREADY_EXISTS(6),
    /** The caller may not do this. */
    PERMISSION_DENIED(7),
    /** A resource ran out: a slot pool, a ring, a quota, or a message over the size limit. */
    RESOURCE_EXHAUSTED(8),
    /** The system is not in the state the call needs. */
    FAILED_PRECONDITION(9),
    /** The call was aborted, typically by a concurrency conflict; a retry at a higher level may succeed. */
    ABORTED(10),
    /** An argument is outside the valid range. */
    OUT_OF_RANGE(11),
    /** The server does not serve the method. */
    UNIMPLEMENTED(12),
    /** An invariant the system relies on was broken. */
    INTERNAL(13),
    /** The other side is not there now (stopping, restarting, dead); the call may succeed if made again. */
    UNAVAILABLE(14),
    /** Data was lost or corrupted. */
    DATA_LOSS(15),
    /** The caller did not prove who it is. */
    UNAUTHENTICATED(16);

    private static final Code[] BY_VALUE = values();

    private final int value;

    Code(int value) {
      // NOTE: no Status is made here: Status's initializer reads Code, and either class may be loaded first.
      this.value = value;
    }

    /** The code's number on the wire. */
    public int value() {
      return value;
    }

    /** A status with this code and no description. */
    public Status toStatus() {
      return Status.BY_CODE[ordinal()];
    }

    /**
     * The code with the given number. A number outside the table maps to {@link #UNKNOWN}, as gRPC
     * does, so a newer peer's code never breaks an older one.
     */
    public static Code fromValue(int value) {
      return value >= 0 && value < BY_VALUE.length ? BY_VALUE[value] : UNKNOWN;
    }
  }

  /** One status without description per code, in the order of the codes. */
  private static final Status[] BY_CODE = byCode();

  /** {@link Code#OK}, without a description. */
  public static final Status OK = Code.OK.toStatus();
  /** {@link Code#CANCELLED}, without a description. */
  public static final Status CANCELLED = Code.CANCELLED.toStatus();
  /** {@link Code#UNKNOWN}, without a description. */
  public static final Status UNKNOWN = Code.UNKNOWN.toStatus();
  /** {@link Code#INVALID_ARGUMENT}, without a description. */
  public static final Status INVALID_ARGUMENT = Code.INVALID_ARGUMENT.toStatus();
  /** {@link Code#DEADLINE_EXCEEDED}, without a description. */
  public static final Status DEADLINE_EXCEEDED = Code.DEADLINE_EXCEEDED.toStatus();
  /** {@link Code#NOT_FOUND}, without a description. */
  public static final Status NOT_FOUND = Code.NOT_FOUND.toStatus();
  /** {@link Code#ALREADY_EXISTS}, without a description. */
  public static final Status ALREADY_EXISTS = Code.ALREADY_EXISTS.toStatus();
  /** {@link Code#PERMISSION_DENIED}, without a description. */
  public static final Status PERMISSION_DENIED = Code.PERMISSION_DENIED.toStatus();
  /** {@link Code#RESOURCE_EXHAUSTED}, without a description. */
  public static final Status RESOURCE_EXHAUSTED = Code.RESOURCE_EXHAUSTED.toStatus();
  /** {@link Code#FAILED_PRECONDITION}, without a description. */
  public static final Status FAILED_PRECONDITION = Code.FAILED_PRECONDITION.toStatus();
  /** {@link Code#ABORTED}, without a description. */
  public static final Status ABORTED = Code.ABORTED.toStatus();
  /** {@link Code#OUT_OF_RANGE}, without a description. */
  public static final Status OUT_OF_RANGE = Code.OUT_OF_RANGE.toStatus();
  /** {@link Code#UNIMPLEMENTED}, without a description. */
  public static final Status UNIMPLEMENTED = Code.UNIMPLEMENTED.toStatus();
  /** {@link Code#INTERNAL}, without a description. */
  public static final Status INTERNAL = Code.INTERNAL.toStatus();
  /** {@link Code#UNAVAILABLE}, without a description. */
  public static final Status UNAVAILABLE = Code.UNAVAILABLE.toStatus();
  /** {@link Code#DATA_LOSS}, without a description. */
  public static final Status DATA_LOSS = Code.DATA_LOSS.toStatus();
  /** {@link Code#UNAUTHENTICATED}, without a description. */
  public static final Status UNAUTHENTICATED = Code.UNAUTHENTICATED.toStatus();

  private static Status[] byCode() {
    Code[] codes = Code.values();
    Status[] out = new Status[codes.length];
    for (Code c : codes) {
      out[c.ordinal()] = new Status(c, null, null);
    }
    return out;
  }

  private final Code code;
  private final String description;
  private final Throwable cause;

  private Status(Code code, String description, Throwable cause) {
    this.code = Objects.requireNonNull(code, "code");
    this.description = description;
    this.cause = cause;
  }

  /** The status for a wire code number; unknown numbers become {@link Code#UNKNOWN}. */
  public static Status fromCodeValue(int value) {
    return Code.fromValue(value).toStatus();
  }

  /**
   * The status a throwable stands for: the status of the first {@link StatusException} or {@link
   * StatusRuntimeException} in its cause chain, otherwise {@code UNKNOWN} carrying the throwable's
   * message and the throwable as cause.
   */
  public static Status fromThrowable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StatusException) {
        return ((StatusException) c).getStatus();
      }
      if (c instanceof StatusRuntimeException) {
        return ((StatusRuntimeException) c).getStatus();
      }
    }
    String message = t.getMessage();
    String text = t.getClass().getName() + (message == null ? "" : ": " + message);
    return UNKNOWN.withDescription(text).withCause(t);
  }

  /** The trailers carried by a status exception in the cause chain, or null. */
  public static Metadata trailersFromThrowable(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StatusException) {
        return ((StatusException) c).getTrailers();
      }
      if (c instanceof StatusRuntimeException) {
        return ((StatusRuntimeException) c).getTrailers();
      }
    }
    return null;
  }

  /** The status's code. */
  public Code getCode() {
    return code;
  }

  /** The description, or null when there is none. */
  public String getDescription() {
    return description;
  }

  /** The local cause; never sent to the other side. */
  public Throwable getCause() {
    return cause;
  }

  /** True if the code is {@link Code#OK}. */
  public boolean isOk() {
    return code == Code.OK;
  }

  /** This status with its description replaced. */
  public Status withDescription(String newDescription) {
    return Objects.equals(description, newDescription) ? this : new Status(code, newDescription, cause);
  }

  /** This status with {@code additional} appended to its description on a new line. */
  public Status augmentDescription(String additional) {
    if (additional == null) {
      return this;
    }
    return new Status(code, description == null ? additional : description + "\n" + additional, cause);
  }

  /** This status with its cause replaced. */
  public Status withCause(Throwable newCause) {
    return cause == newCause ? this : new Status(code, description, newCause);
  }

  /** This status as a checked exception, without trailers. */
  public StatusException asException() {
    return new StatusException(this, null);
  }

  /** This status as a checked exception carrying {@code trailers}. */
  public StatusException asException(Metadata trailers) {
    return new StatusException(this, trailers);
  }

  /** This status as an unchecked exception, without trailers. */
  public StatusRuntimeException asRuntimeException() {
    return new StatusRuntimeException(this, null);
  }

  /** This status as an unchecked exception carrying {@code trailers}. */
  public StatusRuntimeException asRuntimeException(Metadata trailers) {
    return new StatusRuntimeException(this, trailers);
  }

  /** Equal code and description; the cause is local and not compared. */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Status)) {
      return false;
    }
    Status other = (Status) o;
    return code == other.code && Objects.equals(description, other.description);
  }

  @Override
  public int hashCode() {
    return Objects.hash(code, description);
  }

  @Override
  public String toString() {
    return description == null ? code.name() : code.name() + ": " + description;
  }
}
