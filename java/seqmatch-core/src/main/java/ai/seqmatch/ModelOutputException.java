/*
 * The model's own output cannot be sampled: NaN or +inf logits (NaN weights, an overflowing
 * checkpoint), or a row whose every action is masked. Not the caller's fault (no InvalidInputException)
 * and not the engine's: it fails the row it happened in (the server answers INTERNAL for that request
 * only). Native errors "generate: row R: the model's logits ..." / "... no action is allowed" map here.
 */
package ai.seqmatch;

/** One row's logits could not be sampled; {@link #row()} names it (-1 if unknown). */
public class ModelOutputException extends SeqMatchException {
  private static final long serialVersionUID = 1L;

  private final long row;

  public ModelOutputException(String message) {
    this(message, -1, null);
  }

  public ModelOutputException(String message, long row, Throwable cause) {
    super(message, cause);
    this.row = row;
  }

  /** The row (prompt index, or an engine's row id) whose logits failed, or -1. */
  public long row() {
    return row;
  }

  /** This error as "generate: row R: <message>", for the caller that knows which row it was choosing for. */
  public ModelOutputException atRow(long row) {
    return new ModelOutputException("generate: row " + row + ": " + getMessage(), row, this);
  }
}
