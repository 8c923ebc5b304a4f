/*
 * MAUVE (Pillutla et al. 2021) on precomputed features, with the mauve-text package's defaults: quantise P and Q
 * into shared k-means clusters (Quantizer), then score the histograms' divergence frontier (DivergenceFrontier).
 * Entry point for `seqmatch mauve`; tested against an independent sklearn implementation in MauveTest.
 */
package ai.seqmatch.eval.mauve;

import ai.seqmatch.InvalidInputException;

/** Computes MAUVE and the frontier integral between model text features P and reference features Q. */
public final class Mauve {
  /** mauve-text's defaults. */
  public static final double EXPLAINED_VARIANCE = 0.9;
  public static final int KMEANS_RESTARTS = 5;
  public static final int KMEANS_MAX_ITERATIONS = 500;
  public static final int MIXTURE_WEIGHTS = 25;
  public static final double SCALING = 5;
  public static final long DEFAULT_SEED = 25;

  /** MAUVE in (0, 1] (1 = indistinguishable), the frontier integral (0 = identical) and the settings used. */
  public record Result(double mauve, double frontierIntegral, int clusters, int pcaDims, double[] pHistogram,
      double[] qHistogram) {}

  private Mauve() {}

  /**
   * mauve-text's "auto" bucket count: one cluster per ten points of the smaller set, at least two.
   * (Its comment reads "num_generations / 10"; it takes min(|P|, |Q|).)
   */
  public static int defaultClusters(int pSize, int qSize) {
    return Math.max(2, (int) Math.rint(Math.min(pSize, qSize) / 10.0));
  }

  /** MAUVE with the default cluster count. */
  public static Result compute(double[][] p, double[][] q, long seed) {
    return compute(p, q, defaultClusters(p.length, q.length), seed);
  }

  /** MAUVE with CLUSTERS k-means clusters; P and Q are points x features with the same number of features. */
  public static Result compute(double[][] p, double[][] q, int clusters, long seed) {
    if (p.length == 0 || q.length == 0) {
      throw new InvalidInputException("MAUVE needs at least one point in P and in Q");
    }
    if (p[0].length != q[0].length) {
      throw new InvalidInputException("P has " + p[0].length + " features per point but Q has " + q[0].length);
    }
    if (clusters < 2) {
      throw new InvalidInputException("clusters must be at least 2, got " + clusters);
    }
    if (clusters > p.length + q.length) {
      throw new InvalidInputException("clusters (" + clusters + ") exceeds the number of points ("
          + (p.length + q.length) + ")");
    }
    Quantizer.Histograms h = Quantizer.quantize(p, q, clusters, EXPLAINED_VARIANCE, KMEANS_RESTARTS,
        KMEANS_MAX_ITERATIONS, seed);
    double[][] curve = DivergenceFrontier.curve(h.p(), h.q(), MIXTURE_WEIGHTS, SCALING);
    return new Result(DivergenceFrontier.area(curve), DivergenceFrontier.frontierIntegral(h.p(), h.q()), clusters,
        h.pcaDims(), h.p(), h.q());
  }
}
