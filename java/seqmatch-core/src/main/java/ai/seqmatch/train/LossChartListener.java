/*
 * Keeps <out_dir>/loss.png up to date: re-renders it from metrics.jsonl (which the native trainer
 * writes, and trims on resume) after every validation pass and at the end. Tested by LossChartTest.
 */
package ai.seqmatch.train;

import java.nio.file.Path;

/** Renders the run's loss chart with {@link LossChart}. */
public final class LossChartListener implements TrainingListener {
  private final Path png;
  private Path metrics;
  private String title;

  /** @param png the image to write, usually {@code <out_dir>/loss.png} */
  public LossChartListener(Path png) {
    this.png = png;
  }

  @Override
  public void onStart(Trainer trainer) {
    metrics = trainer.config().outDir().resolve("metrics.jsonl");
    title = trainer.config().outDir().getFileName() + " (" + trainer.config().objective() + ")";
  }

  @Override
  public void onEval(EvalMetrics e) {
    LossChart.render(metrics, png, title);
  }

  @Override
  public void onFinish(FinishResult r) {
    LossChart.render(metrics, png, title);
  }
}
