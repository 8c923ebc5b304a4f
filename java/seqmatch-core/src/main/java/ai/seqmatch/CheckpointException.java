/* A checkpoint or tensor file is missing, truncated or inconsistent (CLI exit code 2). */
package ai.seqmatch;

/** A checkpoint directory or tensor file could not be read or written. */
public class CheckpointException extends SeqMatchException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(String message) {
    super(message);
  }

  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
