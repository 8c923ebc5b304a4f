/* Split: the seeded per-unit rule (deterministic, about the fraction held out) and the small-corpus rules. */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SplitTest {
  private static Example ex(long id) {
    return new Example(new long[0], new long[] {id});
  }

  /** Runs n units of one kind through a Split; returns {train ids, validation ids}. */
  private static List<List<Long>> route(int n, double fraction, long seed) {
    List<List<Long>> out = List.of(new ArrayList<>(), new ArrayList<>());
    Split s = new Split(fraction, seed, e -> out.get(0).add(e.completion()[0]), e -> out.get(1).add(e.completion()[0]));
    for (int k = 0; k < n; k++) {
      s.offer(ex(k), s.isValidation(Split.Kind.PAIR, k));
    }
    s.finish();
    return out;
  }

  @Test
  void holdsOutAboutTheFractionDeterministically() {
    List<List<Long>> a = route(20_000, 0.1, 7);
    // Binomial(20000, 0.1): mean 2000, sd 42; every unit lands exactly once.
    assertTrue(Math.abs(a.get(1).size() - 2000) < 300, () -> "validation " + a.get(1).size());
    assertEquals(20_000, a.get(0).size() + a.get(1).size());
    assertEquals(a, route(20_000, 0.1, 7));
    assertNotEquals(a.get(1), route(20_000, 0.1, 8).get(1));
    // A unit's side depends on (seed, kind, k) only, not on how many units follow: streaming-safe.
    Split s = new Split(0.1, 7, e -> {}, e -> {});
    List<Long> first = new ArrayList<>();
    for (long k = 0; k < 1000; k++) {
      if (s.isValidation(Split.Kind.PAIR, k)) {
        first.add(k);
      }
    }
    assertEquals(first, a.get(1).stream().filter(k -> k < 1000).toList());
  }

  @Test
  void smallCorporaKeepBothSides() {
    List<List<Long>> tiny = route(3, 1e-9, 0); // the rule picks none: the last train example moves over
    assertEquals(List.of(0L, 1L), tiny.get(0));
    assertEquals(List.of(2L), tiny.get(1));
    List<List<Long>> most = route(3, 1 - 1e-9, 0); // the rule picks all: the last one trains
    assertEquals(List.of(2L), most.get(0));
    assertEquals(List.of(0L, 1L), most.get(1));
    assertEquals(List.of(List.of(0L), List.of()), route(1, 0.999, 3)); // one unit always trains
    assertEquals(List.of(List.of(0L, 1L, 2L), List.of()), route(3, 0, 0)); // fraction 0: none held out
  }
}
