/* One action a StepEngine row took in one step. */
package ai.seqmatch.serving.engine;

import ai.seqmatch.sample.FinishReason;

/**
 * An action of {@code row}.
 *
 * @param backspace true for {@code <bkspc>}: {@code token} is then the id it deleted
 * @param token the appended id, or the deleted one
 * @param finish why the row finished with this action, or null if it goes on
 */
public record StepEvent(Row row, boolean backspace, long token, FinishReason finish) {}
