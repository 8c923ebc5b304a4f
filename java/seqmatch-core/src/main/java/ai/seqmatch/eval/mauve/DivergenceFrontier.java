/*
 * The divergence frontier of two histograms P and Q (Pillutla et al. 2021, §3): for mixtures R_λ = λP + (1-λ)Q,
 * the points (exp(-c·KL(Q‖R_λ)), exp(-c·KL(P‖R_λ))), with mauve-text's grid (25 weights from 1e-6 to 1-1e-6),
 * scaling c = 5 and its two end points; MAUVE is the area under it, and the frontier integral is the closed form
 * mauve-text computes per bin.
 */
package ai.seqmatch.eval.mauve;

import java.util.Arrays;
import java.util.Comparator;

final class DivergenceFrontier {
  private DivergenceFrontier() {}

  /** The curve as (x, y) pairs: the end point (1, 0), the mixtures in increasing λ, then the end point (0, 1). */
  static double[][] curve(double[] p, double[] q, int weights, double scaling) {
    double[][] points = new double[weights + 2][];
    // KL(Q‖R) = 0 and KL(P‖R) = ∞ at the λ = 0 end, and the mirror at λ = 1; exp(-c·∞) = 0.
    points[0] = new double[] {1, 0};
    double[] r = new double[p.length];
    for (int w = 0; w < weights; w++) {
      double lambda = 1e-6 + (1 - 2e-6) * w / (weights - 1);
      for (int i = 0; i < p.length; i++) {
        r[i] = lambda * p[i] + (1 - lambda) * q[i];
      }
      points[w + 1] = new double[] {Math.exp(-scaling * kl(q, r)), Math.exp(-scaling * kl(p, r))};
    }
    points[weights + 1] = new double[] {0, 1};
    return points;
  }

  /** KL(a‖b) over bins where both are non-zero; ∞ when a has mass where b has none. */
  static double kl(double[] a, double[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      if (a[i] != 0 && b[i] == 0) {
        return Double.POSITIVE_INFINITY;
      }
      if (a[i] != 0) {
        sum += a[i] * Math.log(a[i] / b[i]);
      }
    }
    return sum;
  }

  /**
   * MAUVE: the mean of the trapezoid areas under the curve taken as y(x) and as x(y), each after sorting by
   * its abscissa (mauve-text averages both orders so the score is symmetric in P and Q).
   */
  static double area(double[][] curve) {
    return 0.5 * (trapezoid(curve, 0, 1) + trapezoid(curve, 1, 0));
  }

  private static double trapezoid(double[][] curve, int xs, int ys) {
    double[][] sorted = curve.clone();
    Arrays.sort(sorted, Comparator.comparingDouble(pt -> pt[xs])); // ties span zero width: their order is moot
    double area = 0;
    for (int i = 1; i < sorted.length; i++) {
      area += (sorted[i][xs] - sorted[i - 1][xs]) * (sorted[i][ys] + sorted[i - 1][ys]) / 2;
    }
    return area;
  }

  /** The frontier integral (Liu et al. 2021) with mauve-text's per-bin closed form and scaling 2. */
  static double frontierIntegral(double[] p, double[] q) {
    double total = 0;
    for (int i = 0; i < p.length; i++) {
      double a = p[i];
      double b = q[i];
      if (a == 0 && b == 0) {
        continue;
      } else if (a == 0) {
        total += b / 4;
      } else if (b == 0) {
        total += a / 4;
      } else if (Math.abs(a - b) > 1e-8) {
        total += 0.25 * (a + b) - 0.5 * a * b * (Math.log(a) - Math.log(b)) / (a - b);
      }
      // equal masses contribute nothing
    }
    return 2 * total;
  }
}
