/*
 * "Ground-truth noise" for SequenceMatch's noise augmentation (DESIGN.md §3): instead of a uniform random
 * token, insert a plausible wrong character at a completion position, e.g. another digit of the base. The
 * native trainer takes the context-free form, candidates() as {"<true id>": [noise ids]} JSON
 * (NoiseCandidates writes it); propose() can also use the context. Tested by AddOrSubInBaseTest, DyckLanguageTest.
 */
package ai.seqmatch.tasks;

import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/** Proposes a plausible wrong character for a completion position. */
public interface NoiseSampler {

  /**
   * For every character that can appear in a completion, the wrong characters that may replace it. Lists are
   * non-empty, never contain their key, and only hold characters the task's completions can contain.
   */
  Map<Character, List<Character>> candidates();

  /**
   * A wrong character for position {@code completionPrefix.length()} of the completion, whose true character
   * is {@code truth}. The default draws uniformly from {@code candidates().get(truth)}; tasks override it to
   * use the context (e.g. only digits of the prompt's base).
   *
   * @return a character different from {@code truth}
   * @throws IllegalArgumentException if {@code truth} has no candidates
   */
  default char propose(String prompt, String completionPrefix, char truth, RandomGenerator rng) {
    List<Character> options = candidates().get(truth);
    if (options == null || options.isEmpty()) {
      throw new IllegalArgumentException("noise: no candidates for character '" + truth + "'");
    }
    return options.get(rng.nextInt(options.size()));
  }
}
