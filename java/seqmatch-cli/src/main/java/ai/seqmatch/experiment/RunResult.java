/*
 * The outcome of one run of a comparison: where it trained, its losses, and its test evaluation.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.eval.EvalReport;
import java.nio.file.Path;

/**
 * A finished run.
 *
 * @param spec what was trained
 * @param outDir the trainer's out_dir (metrics.jsonl, final/)
 * @param finalModel the final model directory
 * @param valLoss the last validation loss (NaN without validation)
 * @param trainSeconds wall time of training
 * @param report the test evaluation (accuracy, backspace_rate, actions_per_token, ...)
 */
public record RunResult(RunSpec spec, Path outDir, Path finalModel, double valLoss, double trainSeconds,
    EvalReport report) {

  public double accuracy() {
    return report.metric("accuracy");
  }
}
