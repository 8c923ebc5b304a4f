/*
 * A constraint feature φ(x) ∈ [0, 1] of a generated text, for distribution matching (objective gdc++ / dpg,
 * docs/TRAINING.md "Distribution matching"). Word and regex constraints are scored in the native core; an
 * embedding application supplies any other one (a classifier, a reward model, a rule) as a Scorer registered
 * on the Trainer under the constraint's name. Tested by SampleScoringTest and OnnxClassifierScorerTest.
 */
package ai.seqmatch.score;

import java.util.List;

/** Scores a batch of texts; implementations that hold native resources close them in {@link #close()}. */
public interface Scorer extends AutoCloseable {
  /**
   * One score per text, each in [0, 1]: used as b(x) for a pointwise constraint (P(x) = a(x)·b(x)) and as
   * φ(x) for a distributional one (P(x) = a(x)·exp(λ·φ(x))).
   */
  double[] score(List<String> texts);

  @Override
  default void close() {}
}
