/* What one Trainer.step() did: the update, and the validation pass and checkpoint when they were due. */
package ai.seqmatch.train;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The result of one step.
 *
 * @param train the update's metrics
 * @param eval the validation pass, when eval_every was due
 * @param checkpoint the checkpoint written, when checkpoint_every was due
 */
public record StepResult(StepMetrics train, Optional<EvalMetrics> eval, Optional<Path> checkpoint) {}
