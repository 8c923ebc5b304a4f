/*
 * A slow reference for greedy backspace-aware decoding: every step runs a full forward over the row's
 * current state (no KV cache) and applies DESIGN.md §3 "Generation" literally, the no-retype rule
 * included: a token deleted at a state is never chosen again at that state (kept here per full state, not
 * per depth as the engines keep it; where it would leave nothing allowed it yields). Used to check the
 * native sampler.
 */
package ai.seqmatch.sample;

import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class Reference {
  private Reference() {}

  static GenerationResult greedy(CausalLM model, long[] prompt, long maxNewTokens, long maxActions) {
    ModelConfig c = model.config();
    int vocab = (int) c.vocabSize();
    List<Long> state = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
    List<Long> actions = new ArrayList<>();
    int backspaces = 0;
    Map<List<Long>, Set<Long>> deleted = new HashMap<>();
    while (true) {
      int T = state.size();
      float[] logits = model.forward(state.stream().mapToLong(Long::longValue).toArray(), 1, T);
      int base = (T - 1) * vocab;
      boolean blockBackspace = T <= prompt.length; // never delete the prompt
      Set<Long> banned = deleted.getOrDefault(state, Set.of());
      int best = -1;
      for (boolean ban : new boolean[] {true, false}) { // without bans only if they leave nothing
        for (int v = 0; v < vocab; v++) {
          if (v == c.bkspcTokenId() && blockBackspace || ban && banned.contains((long) v)) {
            continue;
          }
          if (best < 0 || logits[base + v] > logits[base + best]) {
            best = v;
          }
        }
        if (best >= 0) {
          break;
        }
      }
      actions.add((long) best);
      boolean overActions = actions.size() >= maxActions;
      FinishReason reason = null;
      if (best == c.bkspcTokenId()) {
        long removed = state.remove(state.size() - 1);
        deleted.computeIfAbsent(List.copyOf(state), k -> new HashSet<>()).add(removed);
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
