/*
 * Generations produced outside the JVM (e.g. a native generation tool on a machine without Java), read back so
 * that they are scored by the same TaskEvaluator.score as in-JVM generation. Format (docs/TRAINING.md
 * "Scoring generations made elsewhere"), one JSON object per line:
 *   {"id": 3, "seed": null, "tokens": [49, 48, 256], "finish_reason": "eos", "backspaces": 1}
 * id: the prompt's line index in the prompts file (test-prompts.jsonl / test.jsonl); seed: null for greedy
 * decoding, else the sample seed; tokens: the generated ids of the final state (after the prompt, <eos>
 * included when it ended); finish_reason: eos, stop, max_new_tokens, max_actions, ...; backspaces: the <bkspc>
 * actions taken. Each run (seed) must hold every id exactly once. Tested by EvalCommandTest.
 */
package ai.seqmatch.eval;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.sample.FinishReason;
import ai.seqmatch.sample.GenerationResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Static reader of generation files. */
public final class ExternalGenerations {
  /** The key of greedy rows in {@link #read}'s map. */
  public static final String GREEDY = "greedy";

  private ExternalGenerations() {}

  /**
   * The runs of {@code file} for {@code prompts} prompts: "greedy" (seed null) and "seed N", each a result per
   * prompt id in id order. Results carry no action order: their actions are the final tokens plus one
   * placeholder (-1) per typed-then-deleted token and per {@code <bkspc>}, so action counts and backspace rates
   * are right and traces show the final text.
   *
   * @throws InvalidInputException naming the file, line and field of the first problem
   */
  public static Map<String, List<GenerationResult>> read(Path file, int prompts) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new InvalidInputException("--generations: cannot read " + file + ": " + e.getMessage(), e);
    }
    ObjectMapper mapper = new ObjectMapper();
    Map<String, GenerationResult[]> runs = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String where = file + ":" + (i + 1);
      JsonNode j;
      try {
        j = mapper.readTree(line);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new InvalidInputException(where + ": not JSON (" + e.getOriginalMessage() + ")");
      }
      if (!j.path("id").canConvertToInt() || j.path("id").asInt() < 0 || j.path("id").asInt() >= prompts) {
        throw new InvalidInputException(where + ": \"id\" must be a prompt index in [0, " + prompts + ") (got "
            + j.path("id") + ")");
      }
      JsonNode seed = j.path("seed");
      if (!seed.isNull() && !seed.isMissingNode() && !seed.canConvertToLong()) {
        throw new InvalidInputException(where + ": \"seed\" must be an integer or null (got " + seed + ")");
      }
      String run = seed.isNull() || seed.isMissingNode() ? GREEDY : "seed " + seed.asLong();
      if (!j.path("tokens").isArray()) {
        throw new InvalidInputException(where + ": \"tokens\" must be a list of token ids");
      }
      long[] tokens = new long[j.path("tokens").size()];
      for (int t = 0; t < tokens.length; t++) {
        JsonNode id = j.path("tokens").get(t);
        if (!id.canConvertToLong() || id.asLong() < 0) {
          throw new InvalidInputException(where + ": \"tokens\"[" + t + "] is not a token id (got " + id + ")");
        }
        tokens[t] = id.asLong();
      }
      String reasonName = j.path("finish_reason").asText("");
      Optional<FinishReason> reason = Arrays.stream(FinishReason.values())
          .filter(r -> r.wireName().equals(reasonName)).findFirst();
      if (reason.isEmpty()) {
        throw new InvalidInputException(where + ": unknown \"finish_reason\" (got \"" + reasonName
            + "\", expected one of " + String.join(", ", Arrays.stream(FinishReason.values())
            .map(FinishReason::wireName).toList()) + ")");
      }
      JsonNode bk = j.path("backspaces");
      if (!bk.isMissingNode() && (!bk.canConvertToInt() || bk.asInt() < 0)) {
        throw new InvalidInputException(where + ": \"backspaces\" must be an integer >= 0 (got " + bk + ")");
      }
      int backspaces = bk.asInt(0);
      long[] actions = Arrays.copyOf(tokens, tokens.length + 2 * backspaces);
      Arrays.fill(actions, tokens.length, actions.length, -1L);
      GenerationResult[] rows = runs.computeIfAbsent(run, k -> new GenerationResult[prompts]);
      int id = j.path("id").asInt();
      if (rows[id] != null) {
        throw new InvalidInputException(where + ": id " + id + " appears twice for " + run);
      }
      rows[id] = new GenerationResult(tokens, 0, actions, null, reason.get(), backspaces);
    }
    if (runs.isEmpty()) {
      throw new InvalidInputException("--generations: " + file + " holds no generations");
    }
    Map<String, List<GenerationResult>> out = new LinkedHashMap<>();
    runs.forEach((run, rows) -> {
      long missing = Arrays.stream(rows).filter(Objects::isNull).count();
      if (missing > 0) {
        throw new InvalidInputException("--generations: " + file + ": " + run + " lacks " + missing + " of "
            + prompts + " prompt ids (first missing: " + firstNull(rows) + ")");
      }
      out.put(run, new ArrayList<>(Arrays.asList(rows)));
    });
    return out;
  }

  private static int firstNull(Object[] a) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == null) {
        return i;
      }
    }
    return -1;
  }
}
