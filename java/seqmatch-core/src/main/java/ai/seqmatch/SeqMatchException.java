/*
 * Root of SeqMatch's unchecked exceptions. Messages are one line shaped
 * "<what failed>: <why> (got <actual>, expected <expected>). Hint: <how to fix>" (STYLE.md, Errors).
 */
package ai.seqmatch;

/** A SeqMatch operation failed; subclasses say whether the input, a checkpoint or the native core is at fault. */
public class SeqMatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SeqMatchException(String message) {
    super(message);
  }

  public SeqMatchException(String message, Throwable cause) {
    super(message, cause);
  }
}
