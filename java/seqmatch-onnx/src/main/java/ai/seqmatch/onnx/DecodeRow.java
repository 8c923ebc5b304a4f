/*
 * One row of an OrtGenerator call: its trajectory (state, actions, logprobs) and its KV cache, kept in
 * Java per layer as [H][capacity][D] floats with `cached` live entries. A <bkspc> truncates the cache
 * (stale entries are simply overwritten); see OrtGenerator for the step protocol.
 */
package ai.seqmatch.onnx;

import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.RetypeBans;
import java.nio.FloatBuffer;
import java.util.Arrays;

final class DecodeRow {
  final int index; // prompt index
  final long seed;
  final int promptLength;
  long[] tokens;
  int length; // tokens in the state
  long[] actions = new long[16];
  float[] logprobs = new float[16];
  int numActions;
  int backspaces;
  FinishReason finish;
  float[] logits; // (V) of the current state
  final RetypeBans bans = new RetypeBans(); // the no-retype rule's banned sets (used when it applies)
  private final float[][] keys; // per layer (H, capacity, D)
  private final float[][] values;
  private final int heads;
  private final int headDim;
  private final int capacity;
  int cached; // live cache entries

  DecodeRow(int index, long seed, long[] prompt, int capacity, int layers, int heads, int headDim) {
    this.index = index;
    this.seed = seed;
    this.promptLength = prompt.length;
    this.tokens = Arrays.copyOf(prompt, capacity);
    this.length = prompt.length;
    this.capacity = capacity;
    this.heads = heads;
    this.headDim = headDim;
    this.keys = new float[layers][heads * capacity * headDim];
    this.values = new float[layers][heads * capacity * headDim];
  }

  long last() {
    return tokens[length - 1];
  }

  void record(long action, float logprob) {
    if (numActions == actions.length) {
      actions = Arrays.copyOf(actions, numActions * 2);
      logprobs = Arrays.copyOf(logprobs, numActions * 2);
    }
    actions[numActions] = action;
    logprobs[numActions++] = logprob;
  }

  /** Writes this row's live entries of layer l into past (B, H, P, D) at batch slot b; the rest is masked. */
  void writePast(int l, FloatBuffer pastKey, FloatBuffer pastValue, int b, int P) {
    for (int h = 0; h < heads; h++) {
      int dst = (b * heads + h) * P * headDim;
      int src = h * capacity * headDim;
      pastKey.put(dst, keys[l], src, cached * headDim);
      pastValue.put(dst, values[l], src, cached * headDim);
    }
  }

  /** Appends n new entries of layer l from present (B, H, S, D), slots from..from+n-1 of batch slot b. */
  void readPresent(int l, FloatBuffer presentKey, FloatBuffer presentValue, int b, int S, int from, int n) {
    for (int h = 0; h < heads; h++) {
      int src = ((b * heads + h) * S + from) * headDim;
      int dst = (h * capacity + cached) * headDim;
      presentKey.get(src, keys[l], dst, n * headDim);
      presentValue.get(src, values[l], dst, n * headDim);
    }
  }

  GenerationResult result(boolean withLogprobs) {
    return new GenerationResult(Arrays.copyOf(tokens, length), promptLength, Arrays.copyOf(actions, numActions),
        withLogprobs ? Arrays.copyOf(logprobs, numActions) : null, finish, backspaces);
  }
}
