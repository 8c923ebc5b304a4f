/*
 * One row's outcome of Generator.generate: the final state (prompt + generated, after every <bkspc>
 * was applied), the full action trace (<bkspc> included) and why it stopped. Arrays are copied in and
 * out, so a result is immutable.
 */
package ai.seqmatch.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * A generated row.
 *
 * @param tokens final state: the prompt followed by the generated tokens that survived deletion
 * @param promptLength how many leading {@code tokens} are the prompt
 * @param actions every action taken, in order; {@code <bkspc>} appears as the model's bkspc id
 * @param logprobs log π(action | state) per action, or null unless {@link SamplingOptions#logprobs()}
 * @param finishReason why the row stopped
 * @param backspaces how many of {@code actions} are {@code <bkspc>}
 */
public record GenerationResult(
    long[] tokens, int promptLength, long[] actions, float[] logprobs, FinishReason finishReason, int backspaces) {

  public GenerationResult {
    tokens = tokens.clone();
    actions = actions.clone();
    logprobs = logprobs == null ? null : logprobs.clone();
    Objects.requireNonNull(finishReason, "finishReason");
  }

  @Override
  public long[] tokens() {
    return tokens.clone();
  }

  @Override
  public long[] actions() {
    return actions.clone();
  }

  @Override
  public float[] logprobs() {
    return logprobs == null ? null : logprobs.clone();
  }

  /** The generated part of the final state ({@code tokens} after the prompt). */
  public long[] generated() {
    return Arrays.copyOfRange(tokens, promptLength, tokens.length);
  }

  /** Number of generated tokens in the final state. */
  public int generatedTokens() {
    return tokens.length - promptLength;
  }

  /** Number of actions taken, {@code <bkspc>} included. */
  public int actionCount() {
    return actions.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GenerationResult r
        && promptLength == r.promptLength
        && backspaces == r.backspaces
        && finishReason == r.finishReason
        && Arrays.equals(tokens, r.tokens)
        && Arrays.equals(actions, r.actions)
        && Arrays.equals(logprobs, r.logprobs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(tokens), promptLength, Arrays.hashCode(actions), Arrays.hashCode(logprobs),
        finishReason, backspaces);
  }

  @Override
  public String toString() {
    return "GenerationResult[tokens=" + Arrays.toString(tokens) + ", promptLength=" + promptLength + ", actions="
        + Arrays.toString(actions) + ", finishReason=" + finishReason + ", backspaces=" + backspaces + "]";
  }
}
