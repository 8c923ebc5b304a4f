/*
 * An ablation of SequenceMatch-χ² in a method comparison (issue 10: where does a gain or loss come from):
 * another λ, replay off (no model rollouts in batches: replay.model_rows = 0), or the other terminal value.
 * MAIN is the comparison's own settings. The SM term without <bkspc> is the grid's η = 0 run, not a variant.
 */
package ai.seqmatch.experiment;

import java.util.Locale;

/**
 * A SequenceMatch variant.
 *
 * @param lambda λ to use instead of the comparison's (NaN: the comparison's)
 * @param terminalValue "learned" or "zero" instead of the comparison's (null: the comparison's)
 * @param replay whether model rollouts are mixed into batches
 */
public record Variant(double lambda, String terminalValue, boolean replay) {
  public static final Variant MAIN = new Variant(Double.NaN, null, true);

  public static Variant lambda(double lambda) {
    return new Variant(lambda, null, true);
  }

  public static Variant noReplay() {
    return new Variant(Double.NaN, null, false);
  }

  public static Variant terminal(String terminalValue) {
    return new Variant(Double.NaN, terminalValue, true);
  }

  public boolean isMain() {
    return equals(MAIN);
  }

  /** The settings this variant trains with, given the comparison's. */
  public SequenceMatchSettings apply(SequenceMatchSettings base) {
    return new SequenceMatchSettings(Double.isNaN(lambda) ? base.lambda() : lambda, base.alpha(),
        terminalValue == null ? base.terminalValue() : terminalValue);
  }

  /** A directory-safe suffix: "", "lambda0.2", "no-replay", "terminal-zero". */
  public String slug() {
    if (isMain()) {
      return "";
    }
    StringBuilder s = new StringBuilder();
    if (!Double.isNaN(lambda)) {
      s.append("lambda").append(num(lambda));
    }
    if (terminalValue != null) {
      s.append(s.length() > 0 ? "-" : "").append("terminal-").append(terminalValue);
    }
    if (!replay) {
      s.append(s.length() > 0 ? "-" : "").append("no-replay");
    }
    return s.toString();
  }

  /** For tables: "", "λ=0.2", "no replay", "zero terminal value". */
  public String describe() {
    if (isMain()) {
      return "";
    }
    StringBuilder s = new StringBuilder();
    if (!Double.isNaN(lambda)) {
      s.append("λ=").append(num(lambda));
    }
    if (terminalValue != null) {
      s.append(s.length() > 0 ? ", " : "").append(terminalValue).append(" terminal value");
    }
    if (!replay) {
      s.append(s.length() > 0 ? ", " : "").append("no replay");
    }
    return s.toString();
  }

  private static String num(double x) {
    return x == Math.rint(x) ? String.valueOf((long) x) : String.format(Locale.ROOT, "%s", x);
  }
}
