/* Shared by the evaluators: encode prompts, generate them in batches, check builder values. */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import ai.seqmatch.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class Batches {
  private Batches() {}

  /** Encodes each prompt and generates in batches of {@code batchSize}; results in prompt order. */
  static List<GenerationResult> generate(GenerationEngine engine, Tokenizer tokenizer, List<String> prompts,
      SamplingOptions options, int batchSize) {
    List<long[]> ids = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      long[] p = tokenizer.encodePrompt(prompts.get(i)); // start token + text, as prompts were in training
      if (p.length == 0) {
        throw new InvalidInputException("eval: prompt " + i + " is empty and the tokenizer has no BOS or EOS to "
            + "start from. Hint: drop empty prompts");
      }
      ids.add(p);
    }
    long[] rowSeeds = options.rowSeeds();
    if (rowSeeds != null && rowSeeds.length != ids.size()) {
      throw new InvalidInputException("eval: row_seeds has " + rowSeeds.length + " entries for " + ids.size()
          + " prompts (expected one seed per prompt)");
    }
    List<GenerationResult> out = new ArrayList<>(prompts.size());
    for (int from = 0; from < ids.size(); from += batchSize) {
      List<long[]> batch = ids.subList(from, Math.min(ids.size(), from + batchSize));
      // Row i samples with seed + i whatever the batch size (Generator gives row b of a call seed + b).
      SamplingOptions o = rowSeeds != null
          ? options.toBuilder().optRowSeeds(Arrays.copyOfRange(rowSeeds, from, from + batch.size())).build()
          : options.greedy() ? options : options.toBuilder().optSeed(options.seed() + from).build();
      out.addAll(engine.generate(batch, o));
    }
    return out;
  }

  static void validate(String what, int batchSize, int examples) {
    List<String> problems = new ArrayList<>();
    if (batchSize < 1) {
      problems.add("batch size must be >= 1 (got " + batchSize + ")");
    }
    if (examples < 0) {
      problems.add("examples must be >= 0 (got " + examples + ")");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(what + ": " + String.join("; ", problems));
    }
  }
}
