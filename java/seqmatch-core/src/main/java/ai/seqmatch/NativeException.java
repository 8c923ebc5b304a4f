/* The native core failed for a reason the caller cannot fix by changing inputs (CLI exit code 1). */
package ai.seqmatch;

/** The native core reported an error that is neither bad input nor a bad checkpoint. */
public class NativeException extends SeqMatchException {
  private static final long serialVersionUID = 1L;

  public NativeException(String message, Throwable cause) {
    super(message, cause);
  }
}
