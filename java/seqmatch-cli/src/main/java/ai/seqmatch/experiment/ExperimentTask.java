/*
 * The task of an accuracy-vs-noise grid and what the grid needs to know about it besides Task itself: the
 * command line that reproduces it, the model's context length, and the report's words for ground-truth noise.
 * Two grids exist: `experiment arithmetic` (the paper's Fig. 3 task; --digits/--bases make answers long) and
 * `experiment dyck` (Dyck completions of 20+ characters, where one early mistake sinks the whole answer: the
 * compounding-error question of issue 10). Tested by ArithmeticExperimentTest and DyckExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tasks.AddOrSubInBase;
import ai.seqmatch.tasks.DyckLanguage;
import ai.seqmatch.tasks.Task;

/**
 * @param command the experiment subcommand ("arithmetic", "dyck")
 * @param task the task
 * @param flags the task's own options, as typed on the command line (for the report's reproduce line)
 * @param nPositions the model's context: prompt + longest completion + room for noise and its <bkspc>
 * @param groundTruthNoise what ground-truth noise means for this task (report text)
 * @param strata what the split is stratified by and what counts as right (report text)
 */
public record ExperimentTask(String command, Task task, String flags, int nPositions, String groundTruthNoise,
    String strata) {
  /** The arithmetic task's split and checker, in the report's words (also the quickstart's). */
  static final String ARITHMETIC_STRATA = "stratified by (base, operand length), at most half of each stratum held "
      + "out, so every test base is trained on; accuracy is exact match of the canonical answer";

  /** add-or-sub-in-base with operands of the given digits in the given bases; 64 positions hold 8 digits. */
  public static ExperimentTask arithmetic(int minBase, int maxBase, int minDigits, int maxDigits) {
    Task t;
    try {
      t = AddOrSubInBase.builder().optBases(minBase, maxBase).optDigits(minDigits, maxDigits).build();
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("--bases/--digits: " + e.getMessage().replaceFirst("^[^:]+: ", ""));
    }
    if (maxDigits > 8) {
      throw new InvalidInputException(
          "--digits: at most 8 digits fit the experiment's 64-position model (got " + maxDigits + ")");
    }
    return new ExperimentTask("arithmetic", t, " --bases " + minBase + "," + maxBase + " --digits " + minDigits
        + "," + maxDigits, 64, "another digit of the prompt's base", ARITHMETIC_STRATA);
  }

  /**
   * Dyck-k completions to an exact stated total length; the prefix is at most a quarter of it, so completions
   * are about 3/4 of the length. The context holds the prompt ("length N: " + prefix), the completion, <eos>
   * and up to a quarter of the completion again as noise + <bkspc> pairs.
   */
  public static ExperimentTask dyck(int minLength, int maxLength, int pairs, int maxDepth) {
    Task t;
    try {
      t = DyckLanguage.builder().optLengths(minLength, maxLength).optPairs(pairs).optMaxDepth(maxDepth).build();
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException("--length/--pairs/--max-depth: " + e.getMessage().replaceFirst("^[^:]+: ",
          ""));
    }
    if (maxLength > 96) {
      throw new InvalidInputException("--length: at most 96 characters fit the experiment's 192-position model "
          + "(got " + maxLength + ")");
    }
    int needed = "length 99999: ".length() + maxLength + 1 + maxLength / 2;
    int positions = needed <= 128 ? 128 : 192;
    return new ExperimentTask("dyck", t, " --length " + minLength + "," + maxLength + " --pairs " + pairs
        + " --max-depth " + maxDepth, positions, "another bracket of the task's alphabet",
        "stratified by stated length (buckets of 32), at most half of each stratum held out; accuracy counts any "
            + "valid completion (balanced, only the task's brackets, exactly the stated length), not only the "
            + "reference");
  }
}
