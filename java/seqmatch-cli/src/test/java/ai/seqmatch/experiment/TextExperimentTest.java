/*
 * `seqmatch experiment text` on a tiny grid (a synthetic corpus, 1-layer models, a few steps): the split is by
 * distinct paragraph with no held-out paragraph in training, every method gets its table row with seed
 * intervals, the learning rate is chosen on validation MAUVE, the report, JSON and chart are written, a rerun
 * reuses every run, and bad options are one-line errors with exit 2.
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextExperimentTest {
  private static final String CMD = "seqmatch experiment text";
  @TempDir Path tmp;

  /** 80 paragraphs of random words (some repeated verbatim, to be deduplicated). */
  private Path corpus() throws Exception {
    String[] words = {"the", "king", "doth", "speak", "of", "love", "and", "war", "my", "lord", "good", "night"};
    Random r = new Random(3);
    StringBuilder sb = new StringBuilder();
    for (int p = 0; p < 80; p++) {
      String para;
      if (p % 10 == 9) {
        para = "KING:\nthe king doth speak of love and war, my lord, good night.";
      } else {
        StringBuilder q = new StringBuilder(p % 2 == 0 ? "KING:\n" : "LORD:\n");
        for (int w = 0; w < 12 + r.nextInt(6); w++) {
          q.append(words[r.nextInt(words.length)]).append(' ');
        }
        para = q.toString().strip();
      }
      sb.append(para).append("\n\n");
    }
    Path f = tmp.resolve("corpus.txt");
    Files.writeString(f, sb.toString());
    return f;
  }

  @Test
  void splitIsByDistinctParagraphWithoutOverlap() throws Exception {
    Path c = corpus();
    List<String> items = TextCorpus.items(c);
    assertEquals(new HashSet<>(items).size(), items.size());
    assertEquals(80 - 7, items.size(), "the 8 copies of one paragraph count once");
    TextCorpus.Split s = TextCorpus.split(c, 10, 6, 8, 16, 0);
    assertEquals(10, s.test().size());
    assertEquals(6, s.validation().size());
    assertEquals(items.size() - 16, s.train().size());
    Set<String> train = new HashSet<>(s.train());
    for (TextCorpus.Prompt p : s.test()) {
      assertFalse(train.contains(p.item()), p.item());
      assertEquals(p.prompt() + p.continuation(), p.item().substring(0, 24));
    }
    s.validation().forEach(p -> assertFalse(train.contains(p.item())));
    assertTrue(s.test().stream().noneMatch(t -> s.validation().stream().anyMatch(v -> v.item().equals(t.item()))));
  }

  @Test
  void tinyGridWritesTheTableAndReusesRuns() throws Exception {
    Path c = corpus();
    Path out = tmp.resolve("exp");
    Path results = tmp.resolve("results");
    String[] args = {"experiment", "text", "--corpus", c.toString(), "--out", out.toString(), "--results",
        results.toString(), "--steps", "4", "--emo-steps", "2", "--seeds", "2", "--lr", "0.001,0.003", "--test",
        "10", "--validation", "6", "--prompt-chars", "8", "--continuation-chars", "16", "--layers", "1", "--width",
        "16", "--heads", "2", "--positions", "64"};
    CliRun r = CliRun.of(args);
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("feature model: MLE, seed 1000"), r.out());
    JsonNode j = new ObjectMapper().readTree(results.resolve("results.json").toFile());
    assertEquals(2, j.get("seeds").asInt());
    // per method: both learning rates at seed 0, then seed 1 at the chosen one
    assertEquals(4 * 3, j.get("runs").size());
    for (String m : List.of("mle", "bc", "sm", "emo")) {
      JsonNode node = j.get("methods").get(m);
      assertEquals(2, node.get("seeds").asInt(), m);
      double lr = node.get("lr").asDouble();
      double best = -1;
      double chosenVal = -1;
      for (JsonNode run : j.get("runs")) {
        if (run.get("method").asText().equals(m) && run.get("seed").asInt() == 0) {
          double v = run.get("validation").get("mauve").asDouble();
          best = Math.max(best, v);
          if (run.get("lr").asDouble() == lr) {
            chosenVal = v;
          }
        }
      }
      assertEquals(best, chosenVal, m + ": the chosen lr has the best validation MAUVE");
      double mauve = node.get("mauve").get("mean").asDouble();
      assertTrue(mauve > 0 && mauve <= 1, node.toString());
      assertTrue(node.get("mauve").get("low").asDouble() <= mauve, node.toString());
      assertTrue(node.get("perplexity").get("mean").asDouble() > 1, node.toString());
    }
    String md = Files.readString(results.resolve("RESULTS.md"));
    for (String row : List.of("| MLE |", "| BC |", "| SequenceMatch-χ² |", "| EMO (MLE + EMO fine-tuning) |")) {
      assertTrue(md.contains(row), row + " in\n" + md);
    }
    assertTrue(md.contains("MAUVE ↑") && md.contains("seq-rep-4 ↓") && md.contains("perplexity ↓"), md);
    assertTrue(md.contains("Command: `seqmatch experiment text --corpus"), md);
    CliRun.assertPng(results.resolve(TextReport.CHART));
    // EMO started from the MLE run of its seed
    JsonNode emo = new ObjectMapper().readTree(out.resolve("runs").resolve("emo-lr" + TextComparison.num(
        j.get("methods").get("emo").get("lr").asDouble()) + "-s1").resolve("train_config.json").toFile());
    assertTrue(emo.get("model").get("init").asText().contains("mle-lr"), emo.toString());
    assertEquals("emo", emo.get("objective").get("type").asText());

    CliRun again = CliRun.of(args);
    assertEquals(0, again.code(), again.err());
    assertEquals(12, again.out().split("reusing", -1).length - 1, again.out());
    assertFalse(again.out().contains("feature model: MLE"), again.out());
  }

  @Test
  void badOptionsAreOneLineErrors() throws Exception {
    Path c = corpus();
    CliRun.of("experiment", "text", "--corpus", c.toString(), "--methods", "mle,gdc++")
        .assertUsageError(CMD, "gdc++ fine-tunes toward constraints, and this experiment");
    CliRun.of("experiment", "text", "--corpus", c.toString(), "--methods", "mle,rl")
        .assertUsageError(CMD, "unknown method \"rl\"");
    CliRun.of("experiment", "text", "--corpus", tmp.resolve("none.txt").toString())
        .assertUsageError(CMD, "--corpus: no such file");
    CliRun.of("experiment", "text", "--corpus", c.toString(), "--lr", "0.001,-1", "--eta", "1")
        .assertUsageError(CMD, "--lr values must be > 0");
    CliRun.of("experiment", "text", "--corpus", c.toString(), "--prompt-chars", "100", "--positions", "64")
        .assertUsageError(CMD, "--prompt-chars and --continuation-chars");
    CliRun.of("experiment", "text", "--corpus", c.toString(), "--test", "70", "--out", tmp.resolve("x").toString())
        .assertUsageError(CMD, "Hint: lower --test");
  }
}
