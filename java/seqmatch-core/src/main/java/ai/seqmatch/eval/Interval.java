/* A point estimate with a 95% interval, as reports show it: "0.620 [0.551, 0.685]". */
package ai.seqmatch.eval;

import java.util.Locale;

/**
 * An estimate and its 95% interval.
 *
 * @param estimate the point estimate (NaN when undefined)
 * @param low lower end
 * @param high upper end
 */
public record Interval(double estimate, double low, double high) {

  /**
   * The same interval with its ends clipped to [lo, hi]: a t interval over a few seeds of a proportion can
   * reach past 0 or 1, where no accuracy lies.
   */
  public Interval clippedTo(double lo, double hi) {
    return new Interval(estimate, Math.max(lo, low), Math.min(hi, high));
  }

  /** "0.620 [0.551, 0.685]" (3 decimals); "n/a" when undefined. */
  public String format() {
    if (Double.isNaN(estimate)) {
      return "n/a";
    }
    return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", estimate, low, high);
  }
}
