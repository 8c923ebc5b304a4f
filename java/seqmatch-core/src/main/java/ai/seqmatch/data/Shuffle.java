/*
 * Seeded permutations for epochs. Uses java.util.Random, whose algorithm the JDK specifies,
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
}
