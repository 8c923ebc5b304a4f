/*
 * The periodic progress line of a training run, the same information the native `seqmatch-train`
 * binary prints: step/max, loss (bc, sm), tokens/s, the phase split of the step time so far
 * (forward / backward / optimizer / rollout, % of the step total) and the ETA from wall time.
 */
package ai.seqmatch.train;

import java.io.PrintWriter;
import java.util.Locale;

/** Prints a line every {@code every} steps (and at the last), one per validation pass, and a summary. */
public final class ProgressListener implements TrainingListener {
  private final PrintWriter out;
  private final long every;
  private long maxSteps;
  private long firstStep;
  private long startNanos;
  private double fwd;
  private double bwd;
  private double optim;
  private double roll;
  private double total;

  /**
   * @param out where lines go (flushed after each)
   * @param every print every this many steps (log_every); values below 1 mean every step
   */
  public ProgressListener(PrintWriter out, long every) {
    this.out = out;
    this.every = Math.max(1, every);
  }

  @Override
  public void onStart(Trainer trainer) {
    maxSteps = trainer.maxSteps();
    firstStep = trainer.stepsDone();
    startNanos = System.nanoTime();
    if (firstStep > 0) {
      print(String.format(Locale.ROOT, "resumed at step %d/%d", firstStep, maxSteps));
    }
  }

  @Override
  public void onStep(StepMetrics m) {
    fwd += m.tForward();
    bwd += m.tBackward();
    optim += m.tOptim();
    roll += m.tRollout();
    total += m.tTotal();
    if (m.step() % every != 0 && m.step() != maxSteps) {
      return;
    }
    double elapsed = (System.nanoTime() - startNanos) / 1e9;
    double perStep = elapsed / Math.max(1, m.step() - firstStep);
    print(String.format(Locale.ROOT,
        "step %d/%d | loss %.4f (bc %.4f sm %.4f) | %.0f tok/s | fwd %.0f%% bwd %.0f%% opt %.0f%% roll %.0f%% | ETA %s",
        m.step(), maxSteps, m.loss(), m.bc(), m.sm(), m.tokensPerS(), pct(fwd), pct(bwd), pct(optim), pct(roll),
        eta(perStep * (maxSteps - m.step()))));
  }

  @Override
  public void onEval(EvalMetrics e) {
    print(String.format(Locale.ROOT, "eval step %d | val_loss %.4f | val_ppl %.2f", e.step(), e.valLoss(),
        e.valPpl()));
  }

  @Override
  public void onFinish(FinishResult r) {
    print(String.format(Locale.ROOT, "done | val_loss %.4f | checkpoint %s | final model %s", r.eval().valLoss(),
        r.checkpoint(), r.finalModel()));
  }

  private double pct(double part) {
    return total > 0 ? 100 * part / total : 0;
  }

  static String eta(double seconds) {
    long s = (long) Math.max(0, seconds);
    return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  private void print(String line) {
    out.println(line);
    out.flush();
  }
}
