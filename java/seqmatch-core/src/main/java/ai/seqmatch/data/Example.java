/* One training sequence: context tokens, then the tokens the model is trained to produce. */
package ai.seqmatch.data;

import java.util.Arrays;

/**
 * A training example of at most seqLen tokens. For text chunks the prompt is empty (or just BOS) and
 * every completion token is a target; for prompt/completion rows only completion tokens are.
 *
 * @param prompt context ids (not targets)
 * @param completion target ids (a pair's completion ends with EOS unless truncated)
 */
public record Example(long[] prompt, long[] completion) {
  public Example {
    prompt = prompt.clone();
    completion = completion.clone();
  }

  @Override
  public long[] prompt() {
    return prompt.clone();
  }

  @Override
  public long[] completion() {
    return completion.clone();
  }

  /** prompt followed by completion. */
  public long[] tokens() {
    long[] all = Arrays.copyOf(prompt, prompt.length + completion.length);
    System.arraycopy(completion, 0, all, prompt.length, completion.length);
    return all;
  }

  public int length() {
    return prompt.length + completion.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Example e && Arrays.equals(prompt, e.prompt) && Arrays.equals(completion, e.completion);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(prompt) + Arrays.hashCode(completion);
  }

  @Override
  public String toString() {
    return "Example{prompt=" + Arrays.toString(prompt) + ", completion=" + Arrays.toString(completion) + "}";
  }
}
