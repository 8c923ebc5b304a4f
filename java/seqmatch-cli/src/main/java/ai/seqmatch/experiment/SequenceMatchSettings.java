/*
 * The SequenceMatch-χ² knobs of a method comparison: λ (weight of the SM term against BC), α (χ²-mixture:
 * the r² coefficient is c = 1/(4α)) and the value of the absorbing state after <eos> (docs/TRAINING.md).
 * The defaults are what measured best on the quickstart scale (docs/RESULTS.md, "Tuning SequenceMatch"):
 * DESIGN.md's α = 0.5 with V_abs = 0 lets the r² term drag every logit down after the BC warm-up.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import java.util.Locale;

/**
 * @param lambda weight of the SequenceMatch term, in (0, 1]
 * @param alpha χ²-mixture α, > 0
 * @param terminalValue "learned" (V_abs trained, calibrated at the first SM step) or "zero" (DESIGN.md §3)
 */
public record SequenceMatchSettings(double lambda, double alpha, String terminalValue) {
  public static final SequenceMatchSettings DEFAULT = new SequenceMatchSettings(0.5, 4.0, "learned");

  public SequenceMatchSettings {
    if (!(lambda > 0 && lambda <= 1)) {
      throw new InvalidInputException("--sm-lambda must be in (0, 1] (got " + lambda + ")");
    }
    if (!(alpha > 0)) {
      throw new InvalidInputException("--sm-alpha must be > 0 (got " + alpha + ")");
    }
    if (!"learned".equals(terminalValue) && !"zero".equals(terminalValue)) {
      throw new InvalidInputException("--sm-terminal must be learned or zero (got '" + terminalValue + "')");
    }
  }

  /** E.g. "λ=0.5, α=4, learned terminal value". */
  public String describe() {
    return String.format(Locale.ROOT, "λ=%s, α=%s, %s terminal value", num(lambda), num(alpha),
        "learned".equals(terminalValue) ? "learned" : "zero");
  }

  /** The --sm-* flags that reproduce these settings; empty for the defaults. */
  public String cliFlags() {
    return equals(DEFAULT) ? "" : " --sm-lambda " + num(lambda) + " --sm-alpha " + num(alpha) + " --sm-terminal "
        + terminalValue;
  }

  private static String num(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
  }
}
