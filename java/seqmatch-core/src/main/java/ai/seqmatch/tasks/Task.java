/*
 * A generated task with an exact checker (DESIGN.md §3 "Evaluation without a large reference model"):
 * examples are sampled from a seeded RandomGenerator, and any generated completion can be checked exactly,
 * so accuracy / validity needs no reference model. Implementations: AddOrSubInBase, DyckLanguage.
 */
package ai.seqmatch.tasks;

import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/** A task: a sampler of prompt/completion pairs and an exact checker. Implementations are immutable. */
public interface Task {

  /** The registry name, e.g. "add-or-sub-in-base". */
  String name();

  /** One example drawn with {@code rng}; the same rng state always gives the same example. */
  TaskExample sample(RandomGenerator rng);

  /**
   * Checks a generated completion (text after the prompt, end marker removed). Never throws: a prompt this
   * task did not produce or a garbage completion gives a wrong verdict naming the problem.
   */
  Verdict verdict(String prompt, String completion);

  /** Same as {@code verdict(prompt, completion).correct()}. */
  default boolean check(String prompt, String completion) {
    return verdict(prompt, completion).correct();
  }

  /** The longest completion (in characters) this task's configuration can produce. */
  int maxCompletionLength();

  /** The task's ground-truth noise sampler, if it has one. */
  Optional<NoiseSampler> groundTruthNoise();

  /**
   * The stratum of a prompt for splitting (TaskDataset.split draws held-out prompts per stratum, so every
   * stratum of the test split is also trained on), e.g. "base 7, 2 digits". Default: one stratum "all".
   */
  default String stratum(String prompt) {
    return "all";
  }

  /**
   * The number of distinct problems in each stratum, when finite and known (the split then refuses to hold out
   * more than exist); empty when the problem space is too large to matter.
   */
  default Map<String, Long> distinctProblems() {
    return Map.of();
  }

  /** The group a prompt is reported under (per-group accuracy), e.g. "base 7". Default: its stratum. */
  default String group(String prompt) {
    return stratum(prompt);
  }

  /** One line describing the configuration, e.g. "bases 2..16, operands of 1..6 digits". */
  String describe();
}
