/*
 * Per-row decoding controls of a StepEngine row: the native SamplingParams for one row (DESIGN.md §3
 * "Generation"). Validated by the caller (the gRPC layer names the request field); the engine only
 * applies them.
 */
package ai.seqmatch.serving.engine;

/**
 * How one row picks actions and when it stops.
 *
 * @param maxNewTokens cap on generated tokens in the final state (after deletions), > 0
 * @param maxActions cap on actions incl. {@code <bkspc>}; 0 = 4 × maxNewTokens
 * @param greedy argmax; temperature, topK, topP and seed are ignored
 * @param temperature softmax temperature, > 0 unless greedy
 * @param topK keep the k most likely actions; 0 = off
 * @param topP nucleus mass in (0, 1]; 1 = off
 * @param seed action i of this row draws u = counterUniform(seed, i)
 * @param stopTokenIds ids that finish the row once emitted (kept as its last token)
 * @param allowBackspace whether {@code <bkspc>} may be chosen
 * @param noRetype the no-retype rule (a token deleted at a state is banned there); greedy implies it
 */
public record RowParams(long maxNewTokens, long maxActions, boolean greedy, double temperature, long topK,
    double topP, long seed, long[] stopTokenIds, boolean allowBackspace, boolean noRetype) {
  public RowParams {
    stopTokenIds = stopTokenIds == null ? new long[0] : stopTokenIds.clone();
  }

  /** Greedy decoding of up to {@code maxNewTokens} tokens, backspace allowed. */
  public static RowParams greedy(long maxNewTokens) {
    return new RowParams(maxNewTokens, 0, true, 1.0, 0, 1.0, 0, null, true, true);
  }

  /** Seeded sampling at {@code temperature}, backspace allowed. */
  public static RowParams sampling(long maxNewTokens, double temperature, long seed) {
    return new RowParams(maxNewTokens, 0, false, temperature, 0, 1.0, seed, null, true, false);
  }

  /** Whether the no-retype rule applies to this row (greedy always). */
  public boolean retypeBanned() {
    return noRetype || greedy;
  }

  /** The effective action cap (max_actions 0 means 4 × max_new_tokens, as in the native sampler). */
  public long actionLimit() {
    return maxActions == 0 ? 4 * maxNewTokens : maxActions;
  }

  @Override
  public long[] stopTokenIds() {
    return stopTokenIds.clone();
  }

  boolean isStop(long id) {
    for (long s : stopTokenIds) {
      if (s == id) {
        return true;
      }
    }
    return false;
  }
}
