/* What Trainer.finish() did: the final validation pass, the last checkpoint and the plain model dir. */
package ai.seqmatch.train;

import java.nio.file.Path;

/**
 * The end of a run.
 *
 * @param eval the final validation pass
 * @param checkpoint the final training checkpoint (resumable)
 * @param finalModel {@code <out_dir>/final}, a plain model directory for generate/export
 */
public record FinishResult(EvalMetrics eval, Path checkpoint, Path finalModel) {}
