/*
 * Corrupts task completions for the "MLE on noisy data" baseline (paper §6, Fig. 3): with probability η
 * before each completion character (and before the end) a noise character is inserted and kept, with no
 * <bkspc> after it, so MLE learns to imitate the errors. The trainer's own augmentation (BC, SequenceMatch)
 * inserts noise followed by <bkspc> instead. Tested by ArithmeticExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.tasks.NoiseSampler;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Static corruption of completions. */
final class NoisyCompletions {
  /** Uniform noise draws printable ASCII: a byte outside it could not be stored in a JSONL string. */
  private static final char FIRST_PRINTABLE = '!';
  private static final char LAST_PRINTABLE = '~';

  private NoisyCompletions() {}

  static List<TaskExample> corrupt(List<TaskExample> clean, Task task, NoiseKind kind, double eta, long seed) {
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5eed_0f_401eL);
    NoiseSampler sampler = task.groundTruthNoise().orElse(null);
    List<TaskExample> out = new ArrayList<>(clean.size());
    for (TaskExample e : clean) {
      String c = e.completion();
      StringBuilder noisy = new StringBuilder();
      for (int i = 0; i <= c.length(); i++) {
        if (rng.nextDouble() < eta) {
          // At the end there is no true character: ground-truth noise proposes a wrong last one.
          char truth = i < c.length() ? c.charAt(i) : c.charAt(c.length() - 1);
          noisy.append(kind == NoiseKind.TASK && sampler != null && sampler.candidates().containsKey(truth)
              ? sampler.propose(e.prompt(), c.substring(0, i), truth, rng)
              : (char) rng.nextInt(FIRST_PRINTABLE, LAST_PRINTABLE + 1));
        }
        if (i < c.length()) {
          noisy.append(c.charAt(i));
        }
      }
      out.add(new TaskExample(e.prompt(), noisy.toString()));
    }
    return out;
  }
}
