/* Bad arguments or data given by the caller: fixable by changing the call (CLI exit code 2). */
package ai.seqmatch;

/** The caller passed arguments or data that cannot be used (wrong lengths, ids out of range, ...). */
public class InvalidInputException extends SeqMatchException {
  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
