/*
 * MAUVE's quantisation (Pillutla et al. 2021, mauve-text's cluster_feats with its defaults): stack Q then P,
 * l2-normalise each row, project onto the fewest principal components that explain 90% of the variance, cluster
 * the projected points with k-means++ (best of several restarts) and histogram P's and Q's cluster labels.
 * Linear algebra and k-means come from Apache Commons Math.
 */
package ai.seqmatch.eval.mauve;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.apache.commons.math3.ml.clustering.CentroidCluster;
import org.apache.commons.math3.ml.clustering.Clusterable;
import org.apache.commons.math3.ml.clustering.KMeansPlusPlusClusterer;
import org.apache.commons.math3.ml.clustering.MultiKMeansPlusPlusClusterer;
import org.apache.commons.math3.ml.distance.EuclideanDistance;
import org.apache.commons.math3.random.MersenneTwister;

final class Quantizer {
  /** P's and Q's cluster histograms (each sums to 1) and the PCA dimension the clustering ran in. */
  record Histograms(double[] p, double[] q, int pcaDims) {}

  private Quantizer() {}

  static Histograms quantize(double[][] p, double[][] q, int clusters, double explainedVariance, int restarts,
      int maxIterations, long seed) {
    int n = q.length + p.length;
    int d = p[0].length;
    // Q first, then P: the order only matters for reproducing the reference's seeded runs.
    RealMatrix x = MatrixUtils.createRealMatrix(n, d);
    for (int i = 0; i < n; i++) {
      double[] row = i < q.length ? q[i] : p[i - q.length];
      double norm = 0;
      for (double v : row) {
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      // sklearn's normalize leaves an all-zero row as it is instead of dividing by zero.
      double scale = norm == 0 ? 1 : 1 / norm;
      for (int j = 0; j < d; j++) {
        x.setEntry(i, j, row[j] * scale);
      }
    }
    for (int j = 0; j < d; j++) {
      double mean = 0;
      for (int i = 0; i < n; i++) {
        mean += x.getEntry(i, j);
      }
      mean /= n;
      for (int i = 0; i < n; i++) {
        x.addToEntry(i, j, -mean);
      }
    }
    SingularValueDecomposition svd = new SingularValueDecomposition(x);
    int k = componentsFor(svd.getSingularValues(), explainedVariance);
    // Scores on the leading k principal axes: X_centred · V[:, :k].
    RealMatrix scores = x.multiply(svd.getV().getSubMatrix(0, d - 1, 0, k - 1));
    List<Point> points = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      points.add(new Point(i, scores.getRow(i)));
    }
    KMeansPlusPlusClusterer<Point> kmeans = new KMeansPlusPlusClusterer<>(clusters, maxIterations,
        new EuclideanDistance(), new MersenneTwister(seed));
    List<CentroidCluster<Point>> result = new MultiKMeansPlusPlusClusterer<>(kmeans, restarts).cluster(points);
    double[] pHist = new double[clusters];
    double[] qHist = new double[clusters];
    for (int c = 0; c < result.size(); c++) {
      for (Point pt : result.get(c).getPoints()) {
        if (pt.index < q.length) {
          qHist[c] += 1.0 / q.length;
        } else {
          pHist[c] += 1.0 / p.length;
        }
      }
    }
    return new Histograms(pHist, qHist, k);
  }

  /** The fewest leading components whose variance share reaches the target (sklearn's cumulative-ratio rule). */
  static int componentsFor(double[] singularValues, double explainedVariance) {
    double total = 0;
    for (double s : singularValues) {
      total += s * s;
    }
    if (total == 0) {
      return 1; // every point is the same: one axis is as good as any
    }
    double cumulative = 0;
    for (int i = 0; i < singularValues.length; i++) {
      cumulative += singularValues[i] * singularValues[i];
      if (cumulative / total >= explainedVariance) {
        return i + 1;
      }
    }
    return singularValues.length;
  }

  private record Point(int index, double[] coordinates) implements Clusterable {
    @Override
    public double[] getPoint() {
      return coordinates;
    }
  }
}
