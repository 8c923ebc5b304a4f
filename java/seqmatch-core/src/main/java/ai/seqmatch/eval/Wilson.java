/*
 * Wilson score interval for a binomial proportion (Wilson 1927): the 95% interval of an accuracy over n distinct
 * prompts. Unlike p ± 1.96·se it stays inside [0, 1] and is not empty at 0 or n successes. Tested by WilsonTest
 * against hand-computed values.
 */
package ai.seqmatch.eval;

/** Static Wilson intervals. */
public final class Wilson {
  /** The standard normal quantile of 0.975. */
  static final double Z = 1.959963984540054;

  private Wilson() {}

  /** The 95% interval of {@code successes} out of {@code n}; NaN estimate for n = 0. */
  public static Interval of(long successes, long n) {
    if (n < 0 || successes < 0 || successes > n) {
      throw new IllegalArgumentException("wilson: need 0 <= successes <= n (got " + successes + " of " + n + ")");
    }
    if (n == 0) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    double p = (double) successes / n;
    double z2 = Z * Z;
    double centre = (p + z2 / (2.0 * n)) / (1 + z2 / n);
    double half = Z / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
    return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }
}
