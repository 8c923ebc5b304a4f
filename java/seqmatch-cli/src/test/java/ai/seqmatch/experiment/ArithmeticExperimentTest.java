/*
 * `seqmatch experiment arithmetic` on a tiny grid (η 0 and 0.1, ground-truth noise, 3 steps per run):
 * RESULTS.md with every method, the chart, and one-line usage errors.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -Dtest='ArithmeticExperimentTest*'
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.tasks.AddOrSubInBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArithmeticExperimentTest {
  @TempDir Path tmp;

  @Test
  void tinyGridWritesResultsAndChartAndResumes() throws Exception {
    Path out = tmp.resolve("exp");
    String[] args = {"experiment", "arithmetic", "--out", out.toString(), "--eta", "0,0.1", "--noise", "task",
        "--steps", "3", "--test", "8", "--train", "300", "--validation", "8", "--seeds", "2", "--sample-seeds", "2",
        "--json"};
    CliRun r = CliRun.of(args);
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    // per seed: MLE, SM at 0; MLE, BC, SM at 0.1; BC at 0 = MLE
    assertEquals(12, j.path("runs").size(), j.toString());
    String md = Files.readString(out.resolve("RESULTS.md"));
    for (String row : List.of("| MLE | ground-truth |", "| BC | ground-truth |",
        "| SequenceMatch-χ² | ground-truth |", "SM − BC", "Greedy accuracy per stratum", "eos")) {
      assertTrue(md.contains(row), row + " in " + md);
    }
    assertTrue(md.contains("η=0.1"), md);
    CliRun.assertPng(out.resolve("accuracy_vs_noise.png"));
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    JsonNode sm = null;
    for (JsonNode p : results.path("points")) {
      if (p.path("point").asText().equals("sm-task-0.10")) {
        sm = p;
      }
    }
    assertTrue(sm != null, results.toString());
    assertEquals("[0,1]", sm.path("seeds").toString());
    double mean = sm.path("greedy_accuracy").path("mean").asDouble();
    assertTrue(sm.path("greedy_accuracy").path("low").asDouble() <= mean
        && mean <= sm.path("greedy_accuracy").path("high").asDouble(), sm.toString());
    assertTrue(sm.path("sampled_accuracy").path("mean").isNumber(), sm.toString());
    // Everything a machine without a JVM needs: configs, token data, noise alphabets, prompts as ids.
    JsonNode config = new ObjectMapper().readTree(out.resolve("runs/sm-task-0.10-s1/train_config.json").toFile());
    assertEquals(1, config.path("seed").asInt());
    assertTrue(config.path("data").path("validation").asText().endsWith("validation/train.smtok"), config.toString());
    assertTrue(Files.isRegularFile(Path.of(config.path("noise").path("candidates").asText())));
    List<String> prompts = Files.readAllLines(out.resolve("data").resolve(MethodComparison.TEST_PROMPTS));
    assertEquals(8, prompts.size());
    JsonNode first = new ObjectMapper().readTree(prompts.get(0));
    assertEquals(0, first.path("id").asInt());
    JsonNode testRow = new ObjectMapper().readTree(Files.readAllLines(out.resolve("data/test.jsonl")).get(0));
    try (var tok = MethodComparison.byteTokenizer()) { // the encoding the data files use (Chunker#pair)
      assertEquals(java.util.Arrays.toString(tok.encodePrompt(testRow.path("prompt").asText())).replace(" ", ""),
          first.path("prompt_ids").toString());
      // the noise alphabets are keyed by the same prompt encoding, so the trainer finds them
      JsonNode noise = new ObjectMapper().readTree(out.resolve("data/noise.json").toFile());
      JsonNode trainRow = new ObjectMapper().readTree(Files.readAllLines(out.resolve("data/train.jsonl")).get(0));
      assertEquals(java.util.Arrays.toString(tok.encodePrompt(trainRow.path("prompt").asText())).replace(" ", ""),
          noise.path("examples").get(0).path("prompt_ids").toString());
    }
    // A second call reuses every finished run, and adds only the new ablations.
    List<String> again = new java.util.ArrayList<>(List.of(args));
    again.addAll(List.of("--ablate-replay", "--ablation-eta", "0.1"));
    CliRun r2 = CliRun.of(again.toArray(String[]::new));
    assertEquals(0, r2.code(), r2.err());
    assertEquals(10, r2.err().split("reusing", -1).length - 1, r2.err());
    assertTrue(Files.readString(out.resolve("RESULTS.md")).contains("| no replay |"));
  }

  @Test
  void shardsSplitTheRunsAndTheUnshardedCallReusesThemAll() throws Exception {
    Path out = tmp.resolve("sharded");
    String[] grid = {"experiment", "arithmetic", "--out", out.toString(), "--eta", "0,0.1", "--noise", "task",
        "--steps", "2", "--test", "6", "--train", "200", "--validation", "6", "--seeds", "1", "--sample-seeds", "1"};
    java.util.Set<String> trained = new java.util.HashSet<>();
    for (String shard : List.of("0/2", "1/2")) {
      List<String> args = new java.util.ArrayList<>(List.of(grid));
      args.addAll(List.of("--shard", shard));
      CliRun r = CliRun.of(args.toArray(String[]::new));
      assertEquals(0, r.code(), r.err());
      assertEquals(0, r.out().split("reusing", -1).length - 1, r.out()); // the data is shared, no run twice
      assertTrue(r.out().contains("shard " + shard + " done"), r.out());
      try (var dirs = Files.list(out.resolve("runs"))) {
        dirs.filter(d -> Files.isRegularFile(d.resolve(RunResult.FILE))).forEach(d -> trained.add(d.toString()));
      }
    }
    assertEquals(5, trained.size()); // MLE, SM at 0; MLE, BC, SM at 0.1
    assertTrue(!Files.exists(out.resolve("RESULTS.md")), "a shard writes no report");
    CliRun all = CliRun.of(grid);
    assertEquals(0, all.code(), all.err());
    assertEquals(5, all.out().split("reusing", -1).length - 1, all.out());
    assertTrue(Files.isRegularFile(out.resolve("RESULTS.md")));
    CliRun.of(grid[0], grid[1], "--shard", "2/2").assertUsageError("seqmatch experiment arithmetic", "--shard");
  }

  @Test
  void specsCoverTheGrid() {
    AccuracyVsNoise.Grid g = new AccuracyVsNoise.Grid(tmp, List.of(0.0, 0.1, 0.2),
        List.of(NoiseKind.TASK, NoiseKind.UNIFORM), ExperimentTask.arithmetic(2, 10, 1, 1), 10, 10, 0,
        SequenceMatchSettings.DEFAULT);
    assertEquals(3 * (2 + 2 * 2 * 3), g.specs().size()); // 3 training seeds by default
    assertEquals(g.specs().size(), g.specs().stream().map(RunSpec::id).distinct().count());
    AccuracyVsNoise.Grid ablated = new AccuracyVsNoise.Grid(tmp, List.of(0.0, 0.1),
        List.of(NoiseKind.TASK), ExperimentTask.arithmetic(2, 10, 1, 1), 10, 10, 0, SequenceMatchSettings.DEFAULT,
        1,
        AccuracyVsNoise.Data.DEFAULT, List.of(Variant.lambda(0.2), Variant.noReplay(), Variant.terminal("zero")),
        0.1);
    assertEquals(List.of("mle-clean-s0", "sm-clean-s0", "mle-task-0.10-s0", "bc-task-0.10-s0", "sm-task-0.10-s0",
        "sm-task-0.10-lambda0.2-s0", "sm-task-0.10-no-replay-s0", "sm-task-0.10-terminal-zero-s0"),
        ablated.specs().stream().map(RunSpec::id).toList());
  }

  @Test
  void badOptionsExitTwoWithOneLine() {
    CliRun.of("experiment", "arithmetic", "--bases", "2").assertUsageError("seqmatch experiment arithmetic",
        "--bases");
    CliRun.of("experiment", "arithmetic", "--eta", "0,1.5", "--noise", "pink")
        .assertUsageError("seqmatch experiment arithmetic", "--noise");
    CliRun.of("experiment", "arithmetic", "--digits", "1,20").assertUsageError("seqmatch experiment arithmetic",
        "--digits");
    CliRun.of("experiment", "arithmetic", "--eta", "0.1,0.1").assertUsageError("seqmatch experiment arithmetic",
        "--eta");
    CliRun.of("experiment", "arithmetic", "--sm-terminal", "one").assertUsageError("seqmatch experiment arithmetic",
        "--sm-terminal");
    CliRun.of("quickstart", "--sm-lambda", "0").assertUsageError("seqmatch quickstart", "--sm-lambda");
    CliRun.of("quickstart", "--sm-alpha", "-1").assertUsageError("seqmatch quickstart", "--sm-alpha");
  }

  @Test
  void sequenceMatchSettingsReachTheTrainerConfig() {
    var s = MethodComparison.Settings.small(10, 10, 0).withSequenceMatch(new SequenceMatchSettings(0.2, 1.5, "zero"));
    var comparison = new MethodComparison(Quickstart.task(), tmp, s, line -> { });
    comparison.prepareData();
    var c = comparison.config(new RunSpec(Method.SEQUENCE_MATCH, 0.1, NoiseKind.TASK), tmp.resolve("run"));
    assertEquals(0.2, c.path("objective").path("lambda").asDouble());
    assertEquals(1.5, c.path("objective").path("alpha").asDouble());
    assertEquals("zero", c.path("objective").path("terminal_value").asText());
    assertEquals(4, c.path("replay").path("model_rows").asInt());
    var ablated = comparison.config(new RunSpec(Method.SEQUENCE_MATCH, 0.1, NoiseKind.UNIFORM, 2,
        new Variant(0.7, "learned", false)), tmp.resolve("run2"));
    assertEquals(0.7, ablated.path("objective").path("lambda").asDouble());
    assertEquals("learned", ablated.path("objective").path("terminal_value").asText());
    assertEquals(0, ablated.path("replay").path("model_rows").asInt());
    assertEquals(2, ablated.path("seed").asInt());
    assertEquals("uniform", ablated.path("noise").path("kind").asText());
    assertTrue(ablated.path("noise").path("candidates").asText().endsWith("noise.json"));
    assertEquals(" --sm-lambda 0.2 --sm-alpha 1.5 --sm-terminal zero", s.sm().cliFlags());
    assertEquals("", SequenceMatchSettings.DEFAULT.cliFlags());
    assertEquals("λ=0.5, α=4, learned terminal value", SequenceMatchSettings.DEFAULT.describe());
  }

  @Test
  void noisyCompletionsKeepTheAnswerAsASubsequenceAndNoiseIsNeverTheTruth() {
    var task = AddOrSubInBase.builder().optBases(2, 10).optDigits(1, 3).build();
    var clean = ai.seqmatch.tasks.TaskDataset.sample(task, 300, 1);
    for (NoiseKind kind : NoiseKind.values()) {
      var noisy = NoisyCompletions.corrupt(clean, task, kind, 0.5, 0);
      int longer = 0;
      for (int i = 0; i < clean.size(); i++) {
        String c = clean.get(i).completion();
        String n = noisy.get(i).completion();
        int base = Integer.parseInt(clean.get(i).prompt().replaceAll("^In base (\\d+),.*\\n$", "$1"));
        // walk the noisy string: each inserted character sits right before the true one it replaced
        int k = 0;
        for (int p = 0; p < n.length(); p++) {
          if (k < c.length() && n.charAt(p) == c.charAt(k)) {
            k++;
            continue;
          }
          assertTrue(k < c.length(), "noise at the end (the <eos> position) in " + n);
          char truth = c.charAt(k);
          assertNotEquals(truth, n.charAt(p), n);
          if (kind == NoiseKind.TASK) {
            int d = Character.digit(n.charAt(p), 16);
            assertTrue(d >= 0 && d < base && !Character.isUpperCase(n.charAt(p)), n.charAt(p) + " in base " + base);
          } else {
            assertTrue(n.charAt(p) >= '!' && n.charAt(p) <= '~', n);
          }
          assertEquals(truth, n.charAt(p + 1), "noise followed by its true character in " + n);
          p++;
          k++;
        }
        assertEquals(c.length(), k, c + " in " + n);
        longer += n.length() > c.length() ? 1 : 0;
      }
      assertTrue(longer > 150, "noise inserted in " + longer + " of 300 rows at η=0.5");
    }
  }
}
