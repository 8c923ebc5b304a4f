/*
 * The training methods compared by the experiments (Cundy & Ermon 2023, §6): MLE, behavioural cloning
 * (MLE on noise-augmented data with <bkspc> after each noise token) and SequenceMatch-χ².
 */
package ai.seqmatch.experiment;

/** A training method; {@link #label()} is its name in tables and charts. */
public enum Method {
  /**
   * Maximum likelihood. With noise η > 0 the noise stays in the data without a correction (the
   * paper's "MLE on noisy data"); at η = 0 it is plain MLE.
   */
  MLE("MLE"),
  /** MLE on the augmented data: noise token, then <bkspc>; noise tokens are not targets. */
  BC("BC"),
  /** SequenceMatch with the χ²-mixture divergence, after a BC warm-up, with model rollouts replayed. */
  SEQUENCE_MATCH("SequenceMatch-χ²");

  private final String label;

  Method(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
