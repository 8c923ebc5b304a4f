/* DataLoader: exact resume from a saved state in a fresh loader, JSON round trip, epoch coverage, errors. */
package ai.seqmatch.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.seqmatch.InvalidInputException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
  private static List<Example> examples(int n) {
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Example(new long[0], new long[] {i}));
    }
    return out;
  }

  @Test
  void resumesExactlyInAFreshLoader() {
    List<Example> data = examples(23);
    DataLoader a = new DataLoader(data, 4, 42);
    for (int i = 0; i < 13; i++) { // crosses two epoch boundaries (5 batches per epoch)
      a.next();
    }
    String saved = a.state().toJson();
    List<List<Example>> expected = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      expected.add(a.next());
    }
    DataLoader b = new DataLoader(data, 4, 0);
    b.restore(LoaderState.fromJson(saved));
    for (int i = 0; i < 12; i++) {
      assertEquals(expected.get(i), b.next(), "batch " + i);
    }
    assertEquals(a.state(), b.state());
  }

  @Test
  void stateJsonRoundTripsAndEachEpochIsAPermutation() {
    DataLoader l = new DataLoader(examples(10), 5, 7);
    assertEquals("{\"seed\":7,\"epoch\":0,\"index\":0,\"size\":10}", l.state().toJson());
    HashSet<Example> epoch0 = new HashSet<>(l.next());
    epoch0.addAll(l.next());
    assertEquals(10, epoch0.size());
    List<Example> e1 = l.next();
    assertEquals(1, l.state().epoch());
    assertNotEquals(new DataLoader(examples(10), 5, 7).next(), e1, "epochs reshuffle");
  }

  @Test
  void mismatchedStateIsRejected() {
    DataLoader l = new DataLoader(examples(10), 2, 1);
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> l.restore(new LoaderState(1, 0, 0, 11)));
    assertEquals("data loader: cannot restore state: dataset size differs (got 11, expected 10)."
        + " Hint: resume with the same files, seqLen and split", e.getMessage());
    assertThrows(InvalidInputException.class, () -> LoaderState.fromJson("{oops"));
    assertThrows(IllegalArgumentException.class, () -> new DataLoader(examples(3), 4, 0));
  }
}
