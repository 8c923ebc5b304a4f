/*
 * Turns a task's character-level noise candidates (NoiseSampler.candidates) into the token-level JSON the
 * native trainer reads for noise kind "task": {"<true token id>": [noise token ids], ...}
 * (native/src/train/trainer.cpp read_candidates). Every character must be exactly one token of the
 * tokenizer (true for the byte tokenizer and ASCII tasks, and for GPT-2's digits and brackets).
 * Tested by NoiseCandidatesTest.
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Token-level noise candidate maps. */
public final class NoiseCandidates {
  private NoiseCandidates() {}

  /**
   * The token-id map of {@code candidates} under {@code tokenizer}, sorted by true id.
   *
   * @throws InvalidInputException if a character is not exactly one token
   */
  public static Map<Long, List<Long>> toTokenIds(Map<Character, List<Character>> candidates, Tokenizer tokenizer) {
    Map<Long, List<Long>> out = new TreeMap<>();
    for (Map.Entry<Character, List<Character>> e : candidates.entrySet()) {
      long truth = single(tokenizer, e.getKey());
      List<Long> ids = e.getValue().stream().map(c -> single(tokenizer, c)).filter(id -> id != truth).toList();
      if (!ids.isEmpty()) {
        out.put(truth, ids);
      }
    }
    return out;
  }

  /** The JSON object text {"<id>": [ids...], ...}. */
  public static String toJson(Map<Character, List<Character>> candidates, Tokenizer tokenizer) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode root = mapper.createObjectNode();
    for (Map.Entry<Long, List<Long>> e : toTokenIds(candidates, tokenizer).entrySet()) {
      ArrayNode ids = root.putArray(Long.toString(e.getKey()));
      e.getValue().forEach(ids::add);
    }
    return root.toString();
  }

  /** Writes {@link #toJson} to {@code out} atomically. */
  public static void write(Map<Character, List<Character>> candidates, Tokenizer tokenizer, Path out) {
    String json = toJson(candidates, tokenizer);
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
