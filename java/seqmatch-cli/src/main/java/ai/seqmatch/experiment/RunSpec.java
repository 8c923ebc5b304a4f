/*
 * One training run of a comparison: a method at a noise level and kind, a training seed, and (SequenceMatch
 * only) an ablation variant. Runs that differ only in the training seed form one grid point.
 */
package ai.seqmatch.experiment;

import java.util.Locale;

/**
 * What to train.
 *
 * @param method the objective
 * @param eta noise probability per position, in [0, 1)
 * @param noise the noise kind (ignored at eta 0)
 * @param seed the training seed (init, data order, noise, rollouts); the data split has its own seed
 * @param variant the SequenceMatch ablation (MAIN for every other method)
 */
public record RunSpec(Method method, double eta, NoiseKind noise, long seed, Variant variant) {
  public RunSpec {
    if (!(eta >= 0 && eta < 1)) {
      throw new IllegalArgumentException("noise eta must be in [0, 1) (got " + eta + ")");
    }
    if (method != Method.SEQUENCE_MATCH && !variant.isMain()) {
      throw new IllegalArgumentException("ablation variants are for SequenceMatch only (got " + method + ")");
    }
  }

  /** The main variant with training seed 0. */
  public RunSpec(Method method, double eta, NoiseKind noise) {
    this(method, eta, noise, 0, Variant.MAIN);
  }

  /** This spec with another training seed. */
  public RunSpec withSeed(long other) {
    return new RunSpec(method, eta, noise, other, variant);
  }

  /** A directory-safe name of the grid point, e.g. "sm-task-0.10" or "sm-task-0.10-no-replay". */
  public String point() {
    String m = switch (method) {
      case MLE -> "mle";
      case BC -> "bc";
      case SEQUENCE_MATCH -> "sm";
    };
    String base = eta == 0 ? m + "-clean" : String.format(Locale.ROOT, "%s-%s-%.2f", m, noise.wireName(), eta);
    return variant.isMain() ? base : base + "-" + variant.slug();
  }

  /** A directory-safe name of the run, e.g. "sm-task-0.10-s1". */
  public String id() {
    return point() + "-s" + seed;
  }

  /** For tables: "BC (ground-truth noise, η=0.10)", "SequenceMatch-χ² (no noise, no replay)". */
  public String describe() {
    String what = eta == 0 ? "no noise"
        : String.format(Locale.ROOT, "%s noise, η=%.2f", noise.label(), eta);
    return method.label() + " (" + what + (variant.isMain() ? "" : ", " + variant.describe()) + ")";
  }
}
