/*
 * Sentence BLEU-4 and self-BLEU on hand-computed cases (clipping, method-1 smoothing, brevity penalty, closest
 * reference length ties); each expected value is written as its formula.
 */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BleuTest {
  private static final double EPS = 1e-12;

  private static double bleu(long[] hyp, long[]... refs) {
    return Bleu.sentence(hyp, List.of(refs), 4);
  }

  @Test
  void identicalIsOne() {
    assertEquals(1.0, bleu(new long[] {1, 2, 3, 4}, new long[] {1, 2, 3, 4}), EPS);
  }

  @Test
  void precisionsMultiply() {
    // p1..p4 = 4/5, 3/4, 2/3, 1/2; equal lengths: BP = 1
    assertEquals(Math.pow(0.8 * 0.75 * (2.0 / 3) * 0.5, 0.25),
        bleu(new long[] {1, 2, 3, 4, 5}, new long[] {1, 2, 3, 4, 6}), EPS);
  }

  @Test
  void method1SmoothsZeroMatches() {
    // p1 = 4/4, p2 = 1/3 ((1,2)), p3 = 0 -> 0.1/2, p4 = 0 -> 0.1/1
    assertEquals(Math.pow(1.0 / 3 * 0.05 * 0.1, 0.25), bleu(new long[] {1, 2, 3, 4}, new long[] {1, 2, 4, 3}), EPS);
  }

  @Test
  void countsAreClippedByTheReference() {
    // p1 = min(4, 2)/4, p2 = min(3, 1)/3, p3 = 0.1/2, p4 = 0.1/1; c = 4 > r = 2: BP = 1
    assertEquals(Math.pow(0.5 / 3 * 0.05 * 0.1, 0.25), bleu(new long[] {7, 7, 7, 7}, new long[] {7, 7}), EPS);
  }

  @Test
  void brevityPenaltyUsesTheClosestShorterReference() {
    // hypothesis of 2: p1 = p2 = 1, p3 = p4 = 0.1/1 (no n-grams); BP = exp(1 - 4/2)
    assertEquals(Math.exp(-1) * Math.sqrt(0.1), bleu(new long[] {1, 2}, new long[] {1, 2, 3, 4}), EPS);
    // c = 3, references of 2 and 4 are equally close: the shorter (2) wins, so BP = 1
    assertEquals(Math.pow(0.1, 0.25), bleu(new long[] {1, 2, 3}, new long[] {1, 2}, new long[] {1, 2, 3, 9}), EPS);
  }

  @Test
  void noUnigramMatchOrEmptyIsZero() {
    assertEquals(0.0, bleu(new long[] {9}, new long[] {1}), EPS);
    assertEquals(0.0, bleu(new long[0], new long[] {1}), EPS);
    assertThrows(IllegalArgumentException.class, () -> Bleu.sentence(new long[] {1}, List.of(), 4));
  }

  @Test
  void selfBleuAveragesEachAgainstTheOthers() {
    List<long[]> seqs = List.of(new long[] {1, 2, 3, 4}, new long[] {1, 2, 3, 4}, new long[] {5, 6, 7, 8});
    assertEquals(2.0 / 3, Bleu.selfBleu(seqs, 4, 100), EPS); // 1, 1, 0
    assertEquals(1.0, Bleu.selfBleu(seqs, 4, 2), EPS); // capped to the first two
    assertTrue(Double.isNaN(Bleu.selfBleu(seqs.subList(0, 1), 4, 100)));
  }
}
