/*
 * One training run of a comparison: a method at a noise level and kind.
 */
package ai.seqmatch.experiment;

import java.util.Locale;

/**
 * What to train.
 *
 * @param method the objective
 * @param eta noise probability per position, in [0, 1)
 * @param noise the noise kind (ignored at eta 0)
 */
public record RunSpec(Method method, double eta, NoiseKind noise) {
  public RunSpec {
    if (!(eta >= 0 && eta < 1)) {
      throw new IllegalArgumentException("noise eta must be in [0, 1) (got " + eta + ")");
    }
  }

  /** A directory-safe name, e.g. "sm-task-0.10". */
  public String id() {
    String m = switch (method) {
      case MLE -> "mle";
      case BC -> "bc";
      case SEQUENCE_MATCH -> "sm";
    };
    return eta == 0 ? m + "-clean" : String.format(Locale.ROOT, "%s-%s-%.2f", m, noise.wireName(), eta);
  }

  /** For tables: "BC (ground-truth noise, η=0.10)". */
  public String describe() {
    return eta == 0 ? method.label() + " (no noise)"
        : String.format(Locale.ROOT, "%s (%s noise, η=%.2f)", method.label(), noise.label(), eta);
  }
}
