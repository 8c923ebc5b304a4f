/* n-gram counting over token-id sequences, shared by TextMetrics and Bleu. */
package ai.seqmatch.eval;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

final class NGrams {
  private NGrams() {}

  /** An n-gram as a value (ids compared by content). */
  record Key(long[] ids) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(ids, k.ids);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
      return Arrays.toString(ids);
    }
  }

  /** Number of n-grams in a sequence of {@code length} tokens: max(0, length - n + 1). */
  static int count(int length, int n) {
    return Math.max(0, length - n + 1);
  }

  /** Counts of every n-gram of {@code seq}. */
  static Map<Key, Integer> counts(long[] seq, int n) {
    Map<Key, Integer> out = new HashMap<>();
    for (int i = 0; i + n <= seq.length; i++) {
      out.merge(new Key(Arrays.copyOfRange(seq, i, i + n)), 1, Integer::sum);
    }
    return out;
  }

  static void checkN(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n-gram order must be >= 1 (got " + n + ")");
    }
  }
}
