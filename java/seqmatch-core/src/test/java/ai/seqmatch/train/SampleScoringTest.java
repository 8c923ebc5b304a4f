/*
 * Distribution matching from the Java front end: an embedding application's Scorer (objective gdc++, scorer
 * "external") sees every sample of each step, decoded, and the native step trains on exactly its scores (the
 * logged constraint satisfaction equals the mean of what the Scorer returned); a missing or stray Scorer and a
 * bad constraint are one-line errors naming it.
 */
package ai.seqmatch.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.InvalidInputException;
import ai.seqmatch.score.Scorer;
import ai.seqmatch.tokenize.ByteTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleScoringTest {
  private static TrainConfig config(Path out, String constraints) {
    return TrainConfig.parse("{\"model\": {\"vocab_size\": 259, \"n_positions\": 16, \"n_embd\": 16, \"n_layer\": 1,"
        + " \"n_head\": 2, \"eos_token_id\": 256, \"pad_token_id\": 257, \"bkspc_token_id\": 258,"
        + " \"tokenizer\": {\"type\": \"byte\"}}, \"objective\": {\"type\": \"gdc++\"},"
        + " \"gdc\": {\"samples\": 8, \"max_new_tokens\": 6, \"constraints\": " + constraints + "},"
        + " \"max_steps\": 3, \"log_every\": 1, \"eval_every\": 0, \"checkpoint_every\": 0,"
        + " \"out_dir\": \"" + out.toString().replace("\\", "/") + "\"}", "c.json");
  }

  /** 1 for texts with a vowel: a rule the native core does not know. */
  private static final class VowelScorer implements Scorer {
    final List<List<String>> seen = new ArrayList<>();
    final List<Double> means = new ArrayList<>();

    @Override
    public double[] score(List<String> texts) {
      seen.add(texts);
      double[] s = texts.stream().mapToDouble(t -> t.matches("(?s).*[aeiou].*") ? 1.0 : 0.3).toArray();
      means.add(java.util.Arrays.stream(s).average().orElseThrow());
      return s;
    }
  }

  @Test
  void externalScorerScoresEverySampleAndTheStepUsesIt(@TempDir Path dir) throws Exception {
    VowelScorer vowels = new VowelScorer();
    try (Trainer t = Trainer.create(config(dir.resolve("run"), "[{\"scorer\": \"external\", \"name\": \"vowel\"}]"));
        ByteTokenizer tok = new ByteTokenizer()) {
      t.setScorers(tok, Map.of("vowel", vowels));
      assertEquals("vowel", t.constraints().get(0).path("name").asText());
      for (int i = 0; i < 3; i++) {
        t.step();
      }
    }
    assertEquals(3, vowels.seen.size());
    vowels.seen.forEach(texts -> assertEquals(8, texts.size()));
    List<String> lines = Files.readAllLines(dir.resolve("run").resolve("metrics.jsonl"));
    ObjectMapper json = new ObjectMapper();
    int step = 0;
    for (String line : lines) {
      JsonNode j = json.readTree(line);
      if (j.path("kind").asText().equals("train")) {
        assertEquals(vowels.means.get(step), j.path("gdc_q_vowel").asDouble(), 1e-12, line);
        assertTrue(j.has("gdc_kl_pi_a") && j.has("gdc_weight_var") && j.has("gdc_kl_p_pi"), line);
        step++;
      }
    }
    assertEquals(3, step);
  }

  @Test
  void missingOrStrayScorersAreErrors(@TempDir Path dir) {
    try (Trainer t = Trainer.create(config(dir.resolve("a"), "[{\"scorer\": \"external\", \"name\": \"vowel\"}]"));
        ByteTokenizer tok = new ByteTokenizer()) {
      var e = assertThrows(InvalidInputException.class, () -> t.setScorers(tok, Map.of()));
      assertTrue(e.getMessage().startsWith("gdc: constraint 'vowel' (scorer external) has no Scorer"), e.getMessage());
      e = assertThrows(InvalidInputException.class, () -> t.setScorers(tok, Map.of("vowel", new VowelScorer(),
          "other", new VowelScorer())));
      assertTrue(e.getMessage().startsWith("gdc: a Scorer is registered for 'other'"), e.getMessage());
      // Without a Scorer, the native step names the constraint it cannot score.
      e = assertThrows(InvalidInputException.class, t::step);
      assertTrue(e.getMessage().contains("constraint 'vowel' (scorer external) has no scores"), e.getMessage());
    }
  }

  @Test
  void badConstraintIsAOneLineError(@TempDir Path dir) {
    var e = assertThrows(InvalidInputException.class,
        () -> Trainer.create(config(dir.resolve("b"), "[{\"scorer\": \"regex\", \"pattern\": \"(\"}]")).close());
    assertTrue(e.getMessage().startsWith("config c.json: field 'gdc.constraints[0].pattern' is not a valid regex"),
        e.getMessage());
  }
}
