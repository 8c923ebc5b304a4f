/* One generated row shown in an evaluation report. */
package ai.seqmatch.eval;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A sample row of an evaluation.
 *
 * @param prompt the prompt text
 * @param reference the reference completion, or null (prompts without one)
 * @param completion the generated text of the final state
 * @param trace every action, each {@code <bkspc>} shown as "⌫" after the text it deletes
 * @param finishReason why generation stopped ("eos", "max_new_tokens", ...)
 * @param correct the task verdict, or null when there is no task
 * @param reason the verdict's reason, or null when there is no task
 */
public record EvalExample(String prompt, String reference, String completion, String trace, String finishReason,
    Boolean correct, String reason) {

  public ObjectNode toJson() {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("prompt", prompt);
    if (reference != null) {
      node.put("reference", reference);
    }
    node.put("completion", completion);
    node.put("trace", trace);
    node.put("finish_reason", finishReason);
    if (correct != null) {
      node.put("correct", correct);
      node.put("reason", reason);
    }
    return node;
  }
}
