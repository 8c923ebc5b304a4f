/*
 * The 95% Student-t interval of a mean over a few independent runs (training seeds of one grid point):
 * mean ± t(0.975, n−1)·s/√n. With 3 seeds t is 4.30, so the interval is honest about how little 3 runs say.
 * Tested by StudentTTest against hand-computed values.
 */
package ai.seqmatch.eval;

import java.util.Arrays;

/** Static t intervals. */
public final class StudentT {
  /** t(0.975, df) for df = 1..30. */
  private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
      2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060,
      2.056, 2.052, 2.048, 2.045, 2.042};

  private StudentT() {}

  /** The 0.975 quantile of Student's t with {@code df} degrees of freedom (normal beyond 30). */
  static double quantile975(int df) {
    if (df < 1) {
      throw new IllegalArgumentException("student t: df must be >= 1 (got " + df + ")");
    }
    return df <= T975.length ? T975[df - 1] : Wilson.Z;
  }

  /** The mean of {@code x} with its 95% t interval; one value gives an interval of NaN ends. */
  public static Interval mean(double[] x) {
    int n = x.length;
    double m = Arrays.stream(x).average().orElse(Double.NaN);
    if (n < 2) {
      return new Interval(m, Double.NaN, Double.NaN);
    }
    double ss = 0;
    for (double v : x) {
      ss += (v - m) * (v - m);
    }
    double half = quantile975(n - 1) * Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    return new Interval(m, m - half, m + half);
  }
}
