/*
 * MAUVE's quantisation (Pillutla et al. 2021, mauve-text's cluster_feats with its defaults): stack Q then P,
 * l2-normalise each row, project onto the fewest principal components that explain 90% of the variance, cluster
 * the projected points with k-means++ (best of several restarts) and histogram P's and Q's cluster labels.
 * Linear algebra and k-means come from Apache Commons Math.
 */
package ai.seqmatch.eval.mauve;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.linear.BlockRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
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
    RealMatrix x = new BlockRealMatrix(n, d);
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
    // Principal axes = eigenvectors of the d x d scatter matrix XᵀX, its eigenvalues the variances (times n).
    // Cheaper than an SVD of the n x d data (measured: 4000 x 768 took ~100 s as an SVD in Commons Math).
    RealMatrix scatter = x.transpose().multiply(x);
    EigenDecomposition eig = new EigenDecomposition(scatter);
    double[] values = eig.getRealEigenvalues();
    Integer[] order = new Integer[d];
    for (int i = 0; i < d; i++) {
      order[i] = i;
      values[i] = Math.max(0, values[i]); // round-off can leave tiny negatives on a PSD matrix
    }
    Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
    double[] sorted = new double[d];
    for (int i = 0; i < d; i++) {
      sorted[i] = values[order[i]];
    }
    int k = componentsFor(sorted, explainedVariance);
    RealMatrix axes = new BlockRealMatrix(d, k);
    for (int c = 0; c < k; c++) {
      axes.setColumnVector(c, eig.getEigenvector(order[c]));
    }
    // Scores on the leading k principal axes: X_centred · V[:, :k].
    RealMatrix scores = x.multiply(axes);
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
  static int componentsFor(double[] variances, double explainedVariance) {
    double total = 0;
    for (double v : variances) {
      total += v;
    }
    if (total == 0) {
      return 1; // every point is the same: one axis is as good as any
    }
    double cumulative = 0;
    for (int i = 0; i < variances.length; i++) {
      cumulative += variances[i];
      if (cumulative / total >= explainedVariance) {
        return i + 1;
      }
    }
    return variances.length;
  }

  private record Point(int index, double[] coordinates) implements Clusterable {
    @Override
    public double[] getPoint() {
      return coordinates;
    }
  }
}
