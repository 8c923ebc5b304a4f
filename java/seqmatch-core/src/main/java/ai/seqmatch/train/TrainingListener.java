/*
 * Cross-cutting work of a training run (progress lines, charts, copying files into checkpoints) as
 * listeners, DJL-style, instead of flags in the loop. TrainingLoop calls them in registration order.
 */
package ai.seqmatch.train;

import java.nio.file.Path;

/** Callbacks of {@link TrainingLoop}; every method defaults to doing nothing. */
public interface TrainingListener {
  /** Before the first step; {@code trainer.stepsDone()} is > 0 after a resume. */
  default void onStart(Trainer trainer) {}

  /** After every update. */
  default void onStep(StepMetrics metrics) {}

  /** After every validation pass (periodic, final, and the initial one if requested). */
  default void onEval(EvalMetrics metrics) {}

  /** After a checkpoint directory was written (periodic and final). */
  default void onCheckpoint(long step, Path dir) {}

  /** After the final validation pass and checkpoint, once <out_dir>/final exists. */
  default void onFinish(FinishResult result) {}
}
