/* One generated task instance as text: the prompt a model sees and the reference completion. */
package ai.seqmatch.tasks;

import ai.seqmatch.data.Row;
import java.util.Objects;

/**
 * A task example in text form (the token-level {@link ai.seqmatch.data.Example} is made from it by the data
 * pipeline, which appends {@code <eos>} after the completion).
 *
 * @param prompt the question, ending with the separator the completion follows
 * @param completion the reference answer, without any end marker
 */
public record TaskExample(String prompt, String completion) {
  public TaskExample {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
  }

  /** This example as a prompt/completion data row from {@code source} at {@code line}. */
  public Row.Pair toRow(String source, int line) {
    return new Row.Pair(source, line, prompt, completion);
  }
}
