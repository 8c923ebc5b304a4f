/*
 * Progress lines of a comparison: "[2/3 BC (ground-truth noise, η=0.10)] step 120/400 | loss 1.2345 |
 * 4.1 steps/s | ETA run 1m10s, all 3m30s". The overall ETA assumes the remaining runs step as fast as
 * the steps so far.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.train.EvalMetrics;
import ai.seqmatch.train.StepMetrics;
import ai.seqmatch.train.Trainer;
import ai.seqmatch.train.TrainingListener;
import java.util.Locale;
import java.util.function.Consumer;

/** A listener shared by the runs of one comparison. */
final class Progress implements TrainingListener {
  private final Consumer<String> log;
  private final int runs;
  private final long stepsPerRun;
  private final long startNanos = System.nanoTime();
  private long stepsDone;
  private int index;
  private String name;
  private long every;

  Progress(Consumer<String> log, int runs, long stepsPerRun) {
    this.log = log;
    this.runs = runs;
    this.stepsPerRun = stepsPerRun;
    this.every = Math.max(1, stepsPerRun / 10);
  }

  void begin(int index, RunSpec spec) {
    this.index = index;
    this.name = spec.describe();
    log.accept(String.format(Locale.ROOT, "[%d/%d] training %s, %d steps", index + 1, runs, name, stepsPerRun));
  }

  @Override
  public void onStart(Trainer trainer) {
    every = Math.max(1, trainer.config().logEvery());
  }

  @Override
  public void onStep(StepMetrics m) {
    stepsDone++;
    if (m.step() % every != 0 && m.step() != stepsPerRun) {
      return;
    }
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double perStep = elapsed / stepsDone;
    long leftRun = stepsPerRun - m.step();
    long leftAll = leftRun + (runs - index - 1) * stepsPerRun;
    log.accept(String.format(Locale.ROOT, "[%d/%d %s] step %d/%d | loss %.4f%s | %.1f steps/s | ETA run %s, all %s",
        index + 1, runs, name, m.step(), stepsPerRun, m.loss(),
        m.sm() != 0 ? String.format(Locale.ROOT, " (bc %.4f sm %.4f)", m.bc(), m.sm()) : "", 1 / perStep,
        duration(leftRun * perStep), duration(leftAll * perStep)));
  }

  @Override
  public void onEval(EvalMetrics e) {
    if (e.step() == stepsPerRun) {
      log.accept(String.format(Locale.ROOT, "[%d/%d %s] val_loss %.4f", index + 1, runs, name, e.valLoss()));
    }
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 60 ? (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s" : s + "s";
  }
}
