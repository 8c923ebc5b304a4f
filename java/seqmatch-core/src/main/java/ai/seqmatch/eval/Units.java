/* What the n-gram and Zipf metrics count: the model's tokens, or whitespace-separated words. */
package ai.seqmatch.eval;

import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Units of text metrics. */
public enum Units {
  /** Generated token ids of the final state; specials (the ending {@code <eos>}) and unknown ids removed. */
  TOKENS,
  /** Words of the decoded completion, split on whitespace, each word given an id shared across the corpus. */
  WORDS;

  /** The spelling used by the CLI and reports: "tokens" or "words". */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The completions of {@code results} as sequences of unit ids. */
  public List<long[]> sequences(List<GenerationResult> results, Tokenizer tokenizer) {
    List<long[]> out = new ArrayList<>(results.size());
    Map<String, Long> vocabulary = new HashMap<>();
    for (GenerationResult r : results) {
      if (this == TOKENS) {
        out.add(Arrays.stream(r.generated()).filter(id -> id < tokenizer.vocabSize() && !tokenizer.isSpecial(id))
            .toArray());
      } else {
        String text = Traces.completion(r, tokenizer).strip();
        out.add(text.isEmpty() ? new long[0] : Arrays.stream(text.split("\\s+"))
            .mapToLong(w -> vocabulary.computeIfAbsent(w, k -> (long) vocabulary.size())).toArray());
      }
    }
    return out;
  }
}
