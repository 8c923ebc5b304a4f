/*
 * Percentile bootstrap (Efron & Tibshirani 1993) over prompts: the 95% interval of a mean of per-prompt values
 * (e.g. accuracy averaged over sample seeds), and of the paired difference of two methods scored on the SAME
 * prompts (resampling prompts, not each method apart, so prompt difficulty cancels). Seeded: the same inputs and
 * seed give the same interval. Tested by BootstrapTest against exact enumeration of small cases.
 */
package ai.seqmatch.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Static bootstrap intervals. */
public final class Bootstrap {
  /** The default number of resamples. */
  public static final int RESAMPLES = 10_000;

  private Bootstrap() {}

  /** The mean of {@code x} with a 95% percentile-bootstrap interval. */
  public static Interval mean(double[] x, int resamples, long seed) {
    if (resamples < 1) {
      throw new IllegalArgumentException("bootstrap: resamples must be >= 1 (got " + resamples + ")");
    }
    int n = x.length;
    if (n == 0) {
      return new Interval(Double.NaN, Double.NaN, Double.NaN);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    double[] means = new double[resamples];
    for (int r = 0; r < resamples; r++) {
      double sum = 0;
      for (int i = 0; i < n; i++) {
        sum += x[rng.nextInt(n)];
      }
      means[r] = sum / n;
    }
    Arrays.sort(means);
    return new Interval(Arrays.stream(x).average().orElse(Double.NaN), quantile(means, 0.025),
        quantile(means, 0.975));
  }

  /** The mean of {@code a[i] - b[i]} (paired by prompt) with a 95% percentile-bootstrap interval. */
  public static Interval pairedDifference(double[] a, double[] b, int resamples, long seed) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("bootstrap: paired values need the same prompts (got " + a.length
          + " and " + b.length + ")");
    }
    double[] d = new double[a.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = a[i] - b[i];
    }
    return mean(d, resamples, seed);
  }

  /** The q-quantile of sorted values (linear interpolation between order statistics). */
  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}
