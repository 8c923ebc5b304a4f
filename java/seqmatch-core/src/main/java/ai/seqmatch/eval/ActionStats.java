/*
 * Backspace statistics of generated rows (DESIGN.md §3 "Generation"): backspace rate = <bkspc> actions /
 * all actions, actions per token = all actions / generated tokens in the final states (1 when the model never
 * deletes; each deleted token costs 2 extra actions: itself and its <bkspc>). Tested by ActionStatsTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.sample.GenerationResult;
import java.util.Collection;

/**
 * Totals over generated rows.
 *
 * @param actions actions taken, {@code <bkspc>} included
 * @param backspaces {@code <bkspc>} actions
 * @param tokens generated tokens in the final states (an ending {@code <eos>} included)
 */
public record ActionStats(long actions, long backspaces, long tokens) {

  public static ActionStats of(Collection<GenerationResult> results) {
    long actions = 0;
    long backspaces = 0;
    long tokens = 0;
    for (GenerationResult r : results) {
      actions += r.actionCount();
      backspaces += r.backspaces();
      tokens += r.generatedTokens();
    }
    return new ActionStats(actions, backspaces, tokens);
  }

  /** backspaces / actions; NaN without actions. */
  public double backspaceRate() {
    return actions == 0 ? Double.NaN : (double) backspaces / actions;
  }

  /** actions / tokens; NaN without generated tokens. */
  public double actionsPerToken() {
    return tokens == 0 ? Double.NaN : (double) actions / tokens;
  }
}
