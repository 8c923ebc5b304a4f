/*
 * `seqmatch experiment dyck` (the compounding-error grid) on a tiny budget: the same runs as arithmetic, a
 * report in the task's own words (strata, noise, reproduce line) with a context long enough for the longest
 * answer, and one-line usage errors for the task's options.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -Dtest='DyckExperimentTest*'
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.tasks.TaskExample;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DyckExperimentTest {
  @TempDir Path tmp;

  @Test
  void tinyDyckGridWritesItsOwnReport() throws Exception {
    Path out = tmp.resolve("dyck");
    CliRun r = CliRun.of("experiment", "dyck", "--out", out.toString(), "--eta", "0,0.1", "--noise", "task",
        "--length", "24,32", "--steps", "2", "--test", "6", "--train", "200", "--validation", "6", "--seeds", "1",
        "--sample-seeds", "1", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertTrue(j.path("task").asText().startsWith("dyck: 2 bracket pairs, total length 24..32"), j.toString());
    assertEquals(6, j.path("runs").size(), j.toString()); // MLE, SM at 0 (+ BC = MLE); MLE, BC, SM at 0.1
    String md = Files.readString(out.resolve("RESULTS.md"));
    for (String part : List.of("# dyck: accuracy vs noise", "stratified by stated length",
        "ground-truth = another bracket of the task's alphabet", "n_positions 128",
        "./seqmatch experiment dyck --out " + out, "--length 24,32 --pairs 2 --max-depth 8",
        "Greedy accuracy per stratum", "length 0-31", "| SequenceMatch-χ² | ground-truth |")) {
      assertTrue(md.contains(part), part + " in " + md);
    }
    // Every test prompt plus its reference answer fits the model's context with room for noise.
    for (String line : Files.readAllLines(out.resolve("data/test.jsonl"))) {
      JsonNode row = new ObjectMapper().readTree(line);
      int tokens = row.path("prompt").asText().length() + row.path("completion").asText().length() + 1;
      assertTrue(tokens + row.path("completion").asText().length() / 2 <= 128, line);
    }
    JsonNode config = new ObjectMapper().readTree(out.resolve("runs/sm-task-0.10-s0/train_config.json").toFile());
    assertEquals(128, config.path("model").path("n_positions").asInt(), config.toString());
  }

  /** Shards are meant to start together: separate JVMs preparing one data/ must not trip over each other. */
  @Test
  void processesStartedTogetherShareOneDataDirectory() throws Exception {
    Path out = tmp.resolve("together");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<Process> procs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      procs.add(new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
          "ai.seqmatch.cli.SeqMatchCli", "experiment", "dyck", "--out", out.toString(), "--eta", "0.1", "--noise",
          "task", "--length", "24,32", "--steps", "2", "--test", "20", "--train", "3000", "--validation", "20",
          "--seeds", "1", "--plan-only").redirectErrorStream(true)
          .redirectOutput(tmp.resolve("proc" + i + ".log").toFile()).start());
    }
    for (int i = 0; i < procs.size(); i++) {
      assertTrue(procs.get(i).waitFor(120, TimeUnit.SECONDS), "process " + i + " hangs");
      assertEquals(0, procs.get(i).exitValue(), Files.readString(tmp.resolve("proc" + i + ".log")));
    }
    assertEquals(20, Files.readAllLines(out.resolve("data/test.jsonl")).size());
    try (var leftovers = Files.walk(out.resolve("data"))) {
      assertEquals(List.of(), leftovers.filter(p -> p.getFileName().toString().contains(".tmp")).toList());
    }
  }

  @Test
  void theContextGrowsWithTheLongestAnswer() {
    assertEquals(128, ExperimentTask.dyck(32, 48, 2, 8).nPositions());
    assertEquals(192, ExperimentTask.dyck(64, 96, 3, 16).nPositions());
    assertEquals(64, ExperimentTask.arithmetic(2, 10, 1, 1).nPositions());
    // the longest prompt + answer of the longest setting still fits: "length 96: " + 96 brackets + <eos>
    TaskExample e = ExperimentTask.dyck(96, 96, 2, 8).task().sample(new java.util.Random(1));
    assertTrue(e.prompt().length() + e.completion().length() + 1 + 48 <= 192, e.toString());
  }

  @Test
  void badDyckOptionsExitTwoWithOneLine() {
    CliRun.of("experiment", "dyck", "--length", "32").assertUsageError("seqmatch experiment dyck", "--length");
    CliRun.of("experiment", "dyck", "--length", "40,200").assertUsageError("seqmatch experiment dyck", "--length");
    CliRun.of("experiment", "dyck", "--pairs", "9").assertUsageError("seqmatch experiment dyck", "pairs");
    CliRun.of("experiment", "dyck", "--eta", "0,2", "--max-depth", "0")
        .assertUsageError("seqmatch experiment dyck", "max depth");
  }
}
