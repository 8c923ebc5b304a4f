/*
 * One generation row of a StepEngine: its trajectory (state = prompt + generated, action count,
 * backspaces), its logits for the current state, and the native sampler's finish rules
 * (native/src/sample/decoder.cpp: eos, stop ids, max_new_tokens, max_actions, n_positions).
 * Confined to the thread that drives the engine; read-only outside the engine package.
 */
package ai.seqmatch.serving.engine;

import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.RetypeBans;
import java.util.Arrays;

/** A row of a running batch; B = batch, V = actions (vocabulary incl. {@code <bkspc>}). */
public final class Row {
  private final long id;
  private final RowParams params;
  private final int promptLength;
  private final long actionLimit;
  long[] tokens;
  int length; // tokens in the current state
  long numActions;
  int backspaces;
  FinishReason finish;
  boolean paused;
  boolean removed;
  float[] logits; // (V) of the current state; valid while the row is active
  Object cache; // the engine's per-row state (e.g. a KV cache)
  final RetypeBans bans = new RetypeBans(); // the no-retype rule's banned sets

  Row(long id, long[] prompt, RowParams params, int capacity) {
    this.id = id;
    this.params = params;
    this.promptLength = prompt.length;
    this.actionLimit = params.actionLimit();
    this.tokens = Arrays.copyOf(prompt, Math.max(capacity, prompt.length));
    this.length = prompt.length;
  }

  public long id() {
    return id;
  }

  public RowParams params() {
    return params;
  }

  public int promptLength() {
    return promptLength;
  }

  /** The current state: prompt + generated tokens that have not been deleted. */
  public long[] tokens() {
    return Arrays.copyOf(tokens, length);
  }

  public int generatedTokens() {
    return length - promptLength;
  }

  public long actions() {
    return numActions;
  }

  public int backspaces() {
    return backspaces;
  }

  /** Why the row finished, or null while it runs. */
  public FinishReason finishReason() {
    return finish;
  }

  public boolean isPaused() {
    return paused;
  }

  long last() {
    return tokens[length - 1];
  }

  /** Whether {@code <bkspc>} is masked now: disallowed, or nothing generated (never delete the prompt). */
  boolean backspaceBlocked() {
    return !params.allowBackspace() || length <= promptLength;
  }

  /**
   * Applies one chosen action and returns its event, with the native finish order: after a token
   * eos → stop → max_new_tokens → max_actions → n_positions; after a {@code <bkspc>} only max_actions.
   */
  StepEvent apply(long action, EngineInfo info) {
    int depth = length - promptLength; // of the state acted on
    numActions++;
    boolean overActions = numActions >= actionLimit;
    if (action == info.bkspcTokenId()) {
      if (depth == 0) { // the sampler never picks a masked action; this guards the state against a bug
        throw new IllegalStateException("row " + id + ": <bkspc> chosen with nothing generated");
      }
      long removed = tokens[--length];
      bans.deleted(depth - 1, removed);
      backspaces++;
      finish = overActions ? FinishReason.MAX_ACTIONS : null;
      return new StepEvent(this, true, removed, finish);
    }
    if (length == tokens.length) {
      tokens = Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[length++] = action;
    bans.appended(depth);
    if (action == info.eosTokenId()) {
      finish = FinishReason.EOS;
    } else if (params.isStop(action)) {
      finish = FinishReason.STOP;
    } else if (length - promptLength >= params.maxNewTokens()) {
      finish = FinishReason.MAX_NEW_TOKENS;
    } else if (overActions) {
      finish = FinishReason.MAX_ACTIONS;
    } else if (length >= info.nPositions()) {
      finish = FinishReason.LENGTH;
    }
    return new StepEvent(this, false, action, finish);
  }

  @Override
  public String toString() {
    return "Row{id=" + id + ", length=" + length + ", actions=" + numActions + ", finish=" + finish + "}";
  }
}
