/*
 * Writes the noise alphabets of NoiseSampler for the native trainer (native/src/data/noise.cpp
 * read_noise_candidates), so the trainer's noise is the same definition as MLE's noisy copies:
 *   {"format": "seqmatch-noise/2",
 *    "uniform": [ids],                         random noise's alphabet (NoiseSampler.UNIFORM)
 *    "alphabets": [[ids], ...],                the distinct ground-truth alphabets
 *    "examples": [{"prompt_ids": [...], "alphabet": k}, ...]}   per training example, keyed by its prompt tokens
 * A noise token is drawn uniformly from the alphabet minus the true token, never at <eos>. Every character must
 * be exactly one token of the tokenizer (true for the byte tokenizer and ASCII tasks, and for GPT-2's digits and
 * brackets). Tested by TaskDatasetTest (and TasksCommandTest, ArithmeticExperimentTest).
 */
package ai.seqmatch.tasks;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.tokenize.Tokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Token-level noise alphabets. */
public final class NoiseCandidates {
  public static final String FORMAT = "seqmatch-noise/2";

  private NoiseCandidates() {}

  /**
   * The JSON object for {@code examples} (their distinct prompts) of {@code task}.
   *
   * @throws InvalidInputException if the task has no ground-truth noise or a character is not exactly one token
   */
  public static ObjectNode toJson(Task task, List<TaskExample> examples, Tokenizer tokenizer) {
    NoiseSampler noise = task.groundTruthNoise().orElseThrow(() -> new InvalidInputException(
        "noise candidates: task " + task.name() + " has no ground-truth noise"));
    ObjectNode root = new ObjectMapper().createObjectNode();
    root.put("format", FORMAT);
    root.set("uniform", ids(NoiseSampler.UNIFORM, tokenizer, root.arrayNode()));
    ArrayNode alphabets = root.putArray("alphabets");
    ArrayNode rows = root.putArray("examples");
    Map<List<Character>, Integer> index = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (TaskExample e : examples) {
      if (!seen.add(e.prompt())) {
        continue;
      }
      List<Character> alphabet = noise.alphabet(e.prompt());
      Integer k = index.get(alphabet);
      if (k == null) {
        k = index.size();
        index.put(alphabet, k);
        alphabets.add(ids(alphabet, tokenizer, root.arrayNode()));
      }
      ObjectNode row = rows.addObject();
      ArrayNode prompt = row.putArray("prompt_ids");
      for (long id : tokenizer.encodePrompt(e.prompt())) {
        prompt.add(id);
      }
      row.put("alphabet", k);
    }
    return root;
  }

  /** Writes {@link #toJson} to {@code out} atomically. */
  public static void write(Task task, List<TaskExample> examples, Tokenizer tokenizer, Path out) {
    String json = toJson(task, examples, tokenizer).toString();
    Path dir = out.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, out.getFileName().toString(), ".tmp");
      try {
        Files.writeString(tmp, json + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("noise candidates: cannot write " + out + ": " + e.getMessage(), e);
    }
  }

  private static ArrayNode ids(List<Character> chars, Tokenizer tokenizer, ArrayNode out) {
    List<Long> seen = new ArrayList<>();
    for (char c : chars) {
      long id = single(tokenizer, c);
      if (!seen.contains(id)) {
        seen.add(id);
        out.add(id);
      }
    }
    return out;
  }

  private static long single(Tokenizer tokenizer, char c) {
    long[] ids = tokenizer.encode(String.valueOf(c));
    if (ids.length != 1) {
      throw new InvalidInputException("noise candidates: character '" + c + "' is " + ids.length
          + " tokens under " + tokenizer + " (expected exactly 1). Hint: use the byte tokenizer, or noise kind "
          + "'uniform'");
    }
    return ids[0];
  }
}
