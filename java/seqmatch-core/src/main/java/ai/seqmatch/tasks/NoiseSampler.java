/*
 * The one noise definition of every method (DESIGN.md §3 noise augmentation; issue 10): at a completion
 * position whose true character is c, a noise character is drawn uniformly from the example's alphabet minus c,
 * so it is never the true character. "Ground-truth" noise uses the task's per-example alphabet (for
 * add-or-sub-in-base the digits of the prompt's base); random noise uses UNIFORM, the same for MLE's noisy copies
 * (experiment/NoisyCompletions) and the native trainer (NoiseCandidates writes both alphabets per example for
 * native/src/data/noise.cpp). No noise is drawn at the <eos> position. Tested by AddOrSubInBaseTest,
 * DyckLanguageTest, ArithmeticExperimentTest.
 */
package ai.seqmatch.tasks;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** A task's ground-truth noise: the plausible characters of one example. */
public interface NoiseSampler {

  /**
   * Random noise's alphabet: printable ASCII '!'..'~' (a byte outside it could not be stored in a JSONL string,
   * so MLE's noisy copies could not hold it; the trainer uses the same set).
   */
  List<Character> UNIFORM = printable();

  /**
   * The characters a ground-truth noise draw for {@code prompt}'s completion may take (the true character is
   * removed at draw time). Empty for a prompt the task did not produce: no noise there.
   */
  List<Character> alphabet(String prompt);

  /** A character drawn uniformly from {@code alphabet} without {@code truth}; empty if nothing is left. */
  static Optional<Character> draw(List<Character> alphabet, char truth, RandomGenerator rng) {
    int n = 0;
    for (char c : alphabet) {
      n += c != truth ? 1 : 0;
    }
    if (n == 0) {
      return Optional.empty();
    }
    int k = rng.nextInt(n);
    for (char c : alphabet) {
      if (c != truth && k-- == 0) {
        return Optional.of(c);
      }
    }
    throw new IllegalStateException("unreachable");
  }

  private static List<Character> printable() {
    List<Character> out = new ArrayList<>();
    for (char c = '!'; c <= '~'; c++) {
      out.add(c);
    }
    return List.copyOf(out);
  }
}
