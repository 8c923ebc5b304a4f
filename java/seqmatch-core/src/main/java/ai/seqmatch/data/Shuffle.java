/*
 * Seeded permutations for splits and epochs. Uses java.util.Random, whose algorithm the JDK specifies,
 * with our own Fisher-Yates (Collections.shuffle's exact draws are not specified): the same seed gives the
 * same order on every JVM, which exact resume depends on.
 */
package ai.seqmatch.data;

import java.util.Random;

final class Shuffle {
  private Shuffle() {}

  /** A permutation of 0..n-1 determined by {@code seed}. */
  static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random rng = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /**
   * Which of n items go to validation: round(fraction * n) of them, at least 1 when fraction > 0, and
   * never all (training needs data), chosen by {@code seed}.
   */
  static boolean[] validationMask(int n, double fraction, long seed) {
    boolean[] val = new boolean[n];
    if (fraction <= 0 || n < 2) {
      return val;
    }
    int k = (int) Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
    int[] p = permutation(n, seed);
    for (int i = 0; i < k; i++) {
      val[p[i]] = true;
    }
    return val;
  }
}
