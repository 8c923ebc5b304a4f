/*
 * A slow reference for greedy backspace-aware decoding: every step runs a full forward over the row's
 * current state (no KV cache) and applies DESIGN.md §3 "Generation" literally. Used to check the
 * native sampler.
 */
package ai.seqmatch.sample;

import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class Reference {
  private Reference() {}

  static GenerationResult greedy(Gpt2Model model, long[] prompt, long maxNewTokens, long maxActions) {
    ModelConfig c = model.config();
    int vocab = (int) c.vocabSize();
    List<Long> state = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
    List<Long> actions = new ArrayList<>();
    int backspaces = 0;
    while (true) {
      int T = state.size();
      float[] logits = model.forward(state.stream().mapToLong(Long::longValue).toArray(), 1, T);
      int base = (T - 1) * vocab;
      boolean blockBackspace = T <= prompt.length; // never delete the prompt
      int best = -1;
      for (int v = 0; v < vocab; v++) {
        if (v == c.bkspcTokenId() && blockBackspace) {
          continue;
        }
        if (best < 0 || logits[base + v] > logits[base + best]) {
          best = v;
        }
      }
      actions.add((long) best);
      boolean overActions = actions.size() >= maxActions;
      FinishReason reason = null;
      if (best == c.bkspcTokenId()) {
        state.remove(state.size() - 1);
        backspaces++;
        reason = overActions ? FinishReason.MAX_ACTIONS : null;
      } else {
        state.add((long) best);
        if (best == c.eosTokenId()) {
          reason = FinishReason.EOS;
        } else if (state.size() - prompt.length >= maxNewTokens) {
          reason = FinishReason.MAX_NEW_TOKENS;
        } else if (overActions) {
          reason = FinishReason.MAX_ACTIONS;
        } else if (state.size() >= c.nPositions()) {
          reason = FinishReason.LENGTH;
        }
      }
      if (reason != null) {
        return new GenerationResult(state.stream().mapToLong(Long::longValue).toArray(), prompt.length,
            actions.stream().mapToLong(Long::longValue).toArray(), null, reason, backspaces);
      }
    }
  }
}
