/*
 * Reference-free text metrics over generated sequences of token ids (model tokens, or word ids from
 * Units.WORDS). Definitions (each tested on hand-computed examples in TextMetricsTest):
 *  - seq-rep-n (Welleck et al. 2019, "Neural text degeneration with unlikelihood training", §5):
 *    per sequence 1 - |unique n-grams| / |n-grams|, averaged over the sequences that have >= 1 n-gram.
 *  - distinct-n (Li et al. 2016): |unique n-grams over the corpus| / |n-grams over the corpus|.
 *  - Zipf coefficient (Holtzman et al. 2020, §5): least-squares slope of log(count) against log(rank) over
 *    the corpus' token counts (rank 1 = most frequent), reported as the positive exponent s = -slope.
 *  - perplexity: exp(mean per-token negative log-likelihood, natural log).
 * Undefined values (no n-grams, fewer than two distinct tokens, no tokens) are NaN.
 */
package ai.seqmatch.eval;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Static metric functions; inputs are never modified. */
public final class TextMetrics {
  private TextMetrics() {}

  /** seq-rep-n: mean over sequences with at least one n-gram of 1 - unique/total n-grams; NaN if none has one. */
  public static double seqRepN(Collection<long[]> sequences, int n) {
    NGrams.checkN(n);
    double sum = 0;
    int counted = 0;
    for (long[] seq : sequences) {
      int total = NGrams.count(seq.length, n);
      if (total == 0) {
        continue;
      }
      sum += 1.0 - (double) NGrams.counts(seq, n).size() / total;
      counted++;
    }
    return counted == 0 ? Double.NaN : sum / counted;
  }

  /** distinct-n: unique n-grams / total n-grams over all sequences together; NaN if there are none. */
  public static double distinctN(Collection<long[]> sequences, int n) {
    NGrams.checkN(n);
    Set<NGrams.Key> unique = new HashSet<>();
    long total = 0;
    for (long[] seq : sequences) {
      total += NGrams.count(seq.length, n);
      unique.addAll(NGrams.counts(seq, n).keySet());
    }
    return total == 0 ? Double.NaN : (double) unique.size() / total;
  }

  /** Zipf exponent s of the corpus' token counts (see the file header); NaN with fewer than 2 distinct tokens. */
  public static double zipfCoefficient(Collection<long[]> sequences) {
    Map<Long, Long> counts = new HashMap<>();
    for (long[] seq : sequences) {
      for (long id : seq) {
        counts.merge(id, 1L, Long::sum);
      }
    }
    List<Long> sorted = new ArrayList<>(counts.values());
    sorted.sort((a, b) -> Long.compare(b, a));
    int m = sorted.size();
    if (m < 2) {
      return Double.NaN;
    }
    double meanX = 0;
    double meanY = 0;
    for (int r = 0; r < m; r++) {
      meanX += Math.log(r + 1);
      meanY += Math.log(sorted.get(r));
    }
    meanX /= m;
    meanY /= m;
    double sxy = 0;
    double sxx = 0;
    for (int r = 0; r < m; r++) {
      double dx = Math.log(r + 1) - meanX;
      sxy += dx * (Math.log(sorted.get(r)) - meanY);
      sxx += dx * dx;
    }
    return -sxy / sxx;
  }

  /** exp(mean NLL) of per-token negative log-likelihoods in nats; NaN for no tokens. */
  public static double perplexity(double[] nlls) {
    double sum = 0;
    for (double v : nlls) {
      sum += v;
    }
    return perplexity(sum, nlls.length);
  }

  /** exp(nllSum / tokens); NaN for no tokens. */
  public static double perplexity(double nllSum, long tokens) {
    return tokens == 0 ? Double.NaN : Math.exp(nllSum / tokens);
  }
}
