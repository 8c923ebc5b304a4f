/* One input record before tokenisation, with where it came from (for file:line messages). */
package ai.seqmatch.data;

/** A row of training data: a text document or a prompt/completion pair. */
public sealed interface Row {
  /** The file the row came from. */
  String source();

  /** 1-based line in that file (1 for a whole plain-text file). */
  int line();

  /** Where this row came from, as {@code file:line} for messages. */
  default String where() {
    return source() + ":" + line();
  }

  /** A document, trained on as continuous text. */
  record Text(String source, int line, String text) implements Row {}

  /** A prompt and the completion the model learns to produce after it. */
  record Pair(String source, int line, String prompt, String completion) implements Row {}
}
