/* seq-rep-n, distinct-n, Zipf and perplexity on hand-computed examples. */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextMetricsTest {
  private static final double EPS = 1e-12;
  // bigrams of A: (1,2) (2,1) (1,2) (2,1): 2 unique of 4; B: (1,2) (2,3): 2 of 2; C has none.
  private static final List<long[]> CORPUS = List.of(new long[] {1, 2, 1, 2, 1}, new long[] {1, 2, 3}, new long[] {5});

  @Test
  void seqRepN() {
    assertEquals((0.5 + 0.0) / 2, TextMetrics.seqRepN(CORPUS, 2), EPS); // C is skipped: no bigram
    assertEquals(0.0, TextMetrics.seqRepN(List.of(new long[] {1, 2, 3, 4}), 1), EPS);
    assertEquals(0.75, TextMetrics.seqRepN(List.of(new long[] {7, 7, 7, 7}), 1), EPS);
    assertTrue(Double.isNaN(TextMetrics.seqRepN(List.of(new long[] {1, 2, 3}), 4)));
  }

  @Test
  void distinctN() {
    // unigrams: 9 tokens, unique {1, 2, 3, 5}
    assertEquals(4.0 / 9, TextMetrics.distinctN(CORPUS, 1), EPS);
    // bigrams over the corpus: (1,2)x3 (2,1)x2 (2,3)x1 = 6, unique 3
    assertEquals(0.5, TextMetrics.distinctN(CORPUS, 2), EPS);
    assertTrue(Double.isNaN(TextMetrics.distinctN(List.of(new long[0]), 1)));
    assertThrows(IllegalArgumentException.class, () -> TextMetrics.distinctN(CORPUS, 0));
  }

  private static long[] withCounts(long... counts) {
    List<Long> ids = new ArrayList<>();
    for (int t = 0; t < counts.length; t++) {
      for (long i = 0; i < counts[t]; i++) {
        ids.add((long) (100 - t)); // ids unrelated to rank
      }
    }
    java.util.Collections.shuffle(ids, new java.util.Random(1));
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  @Test
  void zipfCoefficient() {
    // counts 12/r for r = 1..4 lie exactly on log f = log 12 - 1 * log r
    assertEquals(1.0, TextMetrics.zipfCoefficient(List.of(withCounts(3, 12, 4, 6))), EPS);
    // two points: slope (log 1 - log 4) / (log 2 - log 1) = -2
    assertEquals(2.0, TextMetrics.zipfCoefficient(List.of(withCounts(4), withCounts(0, 1))), EPS);
    // counts 8, 4, 2, 1 (not exactly a power law): x = ln r, y = ln 8 - k ln 2 for k = 0..3
    double[] x = {0, Math.log(2), Math.log(3), Math.log(4)};
    double mx = (x[0] + x[1] + x[2] + x[3]) / 4;
    double my = Math.log(8) - 1.5 * Math.log(2);
    double sxy = 0;
    double sxx = 0;
    for (int k = 0; k < 4; k++) {
      sxy += (x[k] - mx) * (Math.log(8) - k * Math.log(2) - my);
      sxx += (x[k] - mx) * (x[k] - mx);
    }
    assertEquals(-sxy / sxx, TextMetrics.zipfCoefficient(List.of(withCounts(8, 4, 2, 1))), EPS);
    assertTrue(Double.isNaN(TextMetrics.zipfCoefficient(List.of(new long[] {3, 3, 3}))));
  }

  @Test
  void perplexity() {
    assertEquals(2.0, TextMetrics.perplexity(new double[] {Math.log(2), Math.log(2)}), EPS);
    assertEquals(2.0, TextMetrics.perplexity(new double[] {0, Math.log(4)}), EPS);
    assertEquals(Math.exp(1.5), TextMetrics.perplexity(3.0, 2), EPS);
    assertTrue(Double.isNaN(TextMetrics.perplexity(new double[0])));
  }
}
