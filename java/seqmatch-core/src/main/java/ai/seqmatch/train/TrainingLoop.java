/*
 * The training loop of the Java front end: step until max_steps, then finish, reporting to listeners.
 * The native side owns the loop policy (what is due when: run.h); this only drives it, so Java and the
 * native binary produce the same metrics. Tested by TrainerTest and TrainCommandTest.
 */
package ai.seqmatch.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Static driver of a {@link Trainer}. */
public final class TrainingLoop {
  private TrainingLoop() {}

  /** Runs {@code trainer} to max_steps and finishes it. */
  public static FinishResult run(Trainer trainer, List<? extends TrainingListener> listeners) {
    return run(trainer, listeners, false);
  }

  /**
   * Like {@link #run(Trainer, List)}; with {@code initialEval} a fresh run (0 steps done) first measures the
   * validation loss of the untrained model and logs it as step 0 in metrics.jsonl (the native loop logs no
   * step-0 pass). The pass draws no random numbers, so the run's curve is unchanged.
   */
  public static FinishResult run(Trainer trainer, List<? extends TrainingListener> listeners, boolean initialEval) {
    for (TrainingListener l : listeners) {
      l.onStart(trainer);
    }
    if (initialEval && trainer.stepsDone() == 0) {
      double v = trainer.evaluate();
      EvalMetrics e = new EvalMetrics(0, v, Math.exp(v));
      appendMetricsLine(trainer, e.toJsonLine());
      listeners.forEach(l -> l.onEval(e));
    }
    while (!trainer.finished()) {
      StepResult r = trainer.step();
      listeners.forEach(l -> l.onStep(r.train()));
      r.eval().ifPresent(e -> listeners.forEach(l -> l.onEval(e)));
      r.checkpoint().ifPresent(d -> listeners.forEach(l -> l.onCheckpoint(r.train().step(), d)));
    }
    FinishResult f = trainer.finish();
    long step = trainer.stepsDone();
    listeners.forEach(l -> l.onEval(f.eval()));
    listeners.forEach(l -> l.onCheckpoint(step, f.checkpoint()));
    listeners.forEach(l -> l.onFinish(f));
    return f;
  }

  private static void appendMetricsLine(Trainer trainer, String line) {
    try {
      Files.createDirectories(trainer.config().outDir());
      Files.writeString(trainer.config().outDir().resolve("metrics.jsonl"), line + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("trainer: cannot append to " + trainer.config().outDir().resolve("metrics.jsonl"),
          e);
    }
  }
}
