/*
 * Corrupts task completions for the "MLE on noisy data" baseline (paper §6, Fig. 3): with probability η
 * before each completion character a noise character is inserted and kept, with no <bkspc> after it, so MLE
 * learns to imitate the errors. The noise is the same definition the trainer uses for BC and SequenceMatch
 * (which insert noise followed by <bkspc>): NoiseSampler.draw from the example's ground-truth alphabet (task) or
 * NoiseSampler.UNIFORM (uniform), never the true character, and none at the end (<eos>) position.
 * Tested by ArithmeticExperimentTest.
 */
package ai.seqmatch.experiment;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tasks.NoiseSampler;
import ai.seqmatch.tasks.Task;
import ai.seqmatch.tasks.TaskExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Static corruption of completions. */
final class NoisyCompletions {
  private NoisyCompletions() {}

  static List<TaskExample> corrupt(List<TaskExample> clean, Task task, NoiseKind kind, double eta, long seed) {
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5eed_0f_401eL);
    NoiseSampler sampler = kind == NoiseKind.TASK ? task.groundTruthNoise().orElseThrow(() ->
        new InvalidInputException("task " + task.name() + " has no ground-truth noise")) : null;
    List<TaskExample> out = new ArrayList<>(clean.size());
    for (TaskExample e : clean) {
      List<Character> alphabet = sampler != null ? sampler.alphabet(e.prompt()) : NoiseSampler.UNIFORM;
      String c = e.completion();
      StringBuilder noisy = new StringBuilder();
      for (int i = 0; i < c.length(); i++) {
        char truth = c.charAt(i);
        if (rng.nextDouble() < eta) {
          NoiseSampler.draw(alphabet, truth, rng).ifPresent(noisy::append);
        }
        noisy.append(truth);
      }
      out.add(new TaskExample(e.prompt(), noisy.toString()));
    }
    return out;
  }
}
