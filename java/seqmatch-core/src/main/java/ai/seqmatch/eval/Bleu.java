/*
 * Sentence BLEU (Papineni et al. 2002) and self-BLEU (Zhu et al. 2018, "Texygen"). BLEU-N with uniform weights
 * 1/N: BP · exp(Σ_n (1/N) log p_n), where p_n is the clipped n-gram precision (each hypothesis n-gram count
 * clipped by its largest count in any one reference), BP = 1 if c > r else exp(1 - r/c) with c the hypothesis
 * length and r the reference length closest to c (the shorter on ties). Smoothing is Chen & Cherry's method 1
 * as in NLTK's SmoothingFunction().method1: a p_n with zero matches becomes 0.1 / max(1, n-gram count). As in
 * NLTK's sentence_bleu, a hypothesis with no unigram match (or no tokens) scores 0.
 * Tested by BleuTest (values checked against NLTK 3.8 by hand computation in the test comments).
 */
package ai.seqmatch.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** BLEU and self-BLEU over token-id sequences. */
public final class Bleu {
  /** Method-1 smoothing constant. */
  static final double EPSILON = 0.1;

  private Bleu() {}

  /** Sentence BLEU-{@code maxN} of {@code hypothesis} against {@code references} (at least one). */
  public static double sentence(long[] hypothesis, List<long[]> references, int maxN) {
    NGrams.checkN(maxN);
    if (references.isEmpty()) {
      throw new IllegalArgumentException("bleu: need at least one reference (got 0)");
    }
    List<List<Map<NGrams.Key, Integer>>> refCounts = new ArrayList<>();
    int[] refLengths = new int[references.size()];
    for (int j = 0; j < references.size(); j++) {
      refCounts.add(countsUpTo(references.get(j), maxN));
      refLengths[j] = references.get(j).length;
    }
    return score(hypothesis, countsUpTo(hypothesis, maxN), refCounts, refLengths, -1, maxN);
  }

  /**
   * Self-BLEU: the mean over the first {@code cap} sequences of the BLEU-{@code maxN} of each against all the
   * others (of those first {@code cap}) as references. O(cap² · length); NaN for fewer than 2 sequences.
   */
  public static double selfBleu(List<long[]> sequences, int maxN, int cap) {
    NGrams.checkN(maxN);
    if (cap < 2) {
      throw new IllegalArgumentException("self-bleu: cap must be >= 2 (got " + cap + ")");
    }
    int m = Math.min(cap, sequences.size());
    if (m < 2) {
      return Double.NaN;
    }
    List<List<Map<NGrams.Key, Integer>>> counts = new ArrayList<>(m);
    int[] lengths = new int[m];
    for (int i = 0; i < m; i++) {
      counts.add(countsUpTo(sequences.get(i), maxN));
      lengths[i] = sequences.get(i).length;
    }
    double sum = 0;
    for (int i = 0; i < m; i++) {
      sum += score(sequences.get(i), counts.get(i), counts, lengths, i, maxN);
    }
    return sum / m;
  }

  private static List<Map<NGrams.Key, Integer>> countsUpTo(long[] seq, int maxN) {
    List<Map<NGrams.Key, Integer>> out = new ArrayList<>(maxN);
    for (int n = 1; n <= maxN; n++) {
      out.add(NGrams.counts(seq, n));
    }
    return out;
  }

  /** BLEU of a hypothesis against every reference except index {@code skip} (-1: none skipped). */
  private static double score(long[] hyp, List<Map<NGrams.Key, Integer>> hypCounts,
      List<List<Map<NGrams.Key, Integer>>> refs, int[] refLengths, int skip, int maxN) {
    int c = hyp.length;
    if (c == 0) {
      return 0;
    }
    double logSum = 0;
    for (int n = 1; n <= maxN; n++) {
      long matched = 0;
      for (Map.Entry<NGrams.Key, Integer> e : hypCounts.get(n - 1).entrySet()) {
        int maxRef = 0;
        for (int j = 0; j < refs.size(); j++) {
          if (j != skip) {
            maxRef = Math.max(maxRef, refs.get(j).get(n - 1).getOrDefault(e.getKey(), 0));
          }
        }
        matched += Math.min(e.getValue(), maxRef);
      }
      int total = Math.max(1, NGrams.count(c, n));
      if (matched == 0 && n == 1) {
        return 0; // NLTK: no unigram match at all scores 0, whatever the smoothing
      }
      double p = matched == 0 ? EPSILON / total : (double) matched / total;
      logSum += Math.log(p) / maxN;
    }
    int r = closestLength(c, refLengths, skip);
    double bp = c > r ? 1.0 : Math.exp(1.0 - (double) r / c);
    return bp * Math.exp(logSum);
  }

  private static int closestLength(int c, int[] refLengths, int skip) {
    int best = -1;
    for (int j = 0; j < refLengths.length; j++) {
      if (j == skip) {
        continue;
      }
      int r = refLengths[j];
      if (best < 0 || Math.abs(r - c) < Math.abs(best - c) || (Math.abs(r - c) == Math.abs(best - c) && r < best)) {
        best = r;
      }
    }
    return best;
  }
}
