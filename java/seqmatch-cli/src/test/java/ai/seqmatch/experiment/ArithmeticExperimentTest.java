/*
 * `seqmatch experiment arithmetic` on a tiny grid (η 0 and 0.1, ground-truth noise, 3 steps per run):
 * RESULTS.md with every method, the chart, and one-line usage errors.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -Dtest='ArithmeticExperimentTest*'
 */
package ai.seqmatch.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void tinyGridWritesResultsAndChart() throws Exception {
    Path out = tmp.resolve("exp");
    CliRun r = CliRun.of("experiment", "arithmetic", "--out", out.toString(), "--eta", "0,0.1", "--noise", "task",
        "--steps", "3", "--test", "8", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(6, j.path("runs").size(), j.toString()); // MLE, SM at 0; MLE, BC, SM at 0.1; BC at 0 = MLE
    String md = Files.readString(out.resolve("RESULTS.md"));
    for (String row : List.of("| MLE | ground-truth |", "| BC | ground-truth |",
        "| SequenceMatch-χ² | ground-truth |")) {
      assertTrue(md.contains(row), md);
    }
    assertTrue(md.contains("η=0.1"), md);
    CliRun.assertPng(out.resolve("accuracy_vs_noise.png"));
  }

  @Test
  void specsCoverTheGrid() {
    ArithmeticExperiment.Grid g = new ArithmeticExperiment.Grid(tmp, List.of(0.0, 0.1, 0.2),
        List.of(NoiseKind.TASK, NoiseKind.UNIFORM), 2, 10, 1, 1, 10, 10, 0, SequenceMatchSettings.DEFAULT);
    assertEquals(2 + 2 * 2 * 3, g.specs().size());
    assertEquals(g.specs().size(), g.specs().stream().map(RunSpec::id).distinct().count());
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
    assertEquals(" --sm-lambda 0.2 --sm-alpha 1.5 --sm-terminal zero", s.sm().cliFlags());
    assertEquals("", SequenceMatchSettings.DEFAULT.cliFlags());
    assertEquals("λ=0.5, α=4, learned terminal value", SequenceMatchSettings.DEFAULT.describe());
  }

  @Test
  void noisyCompletionsKeepTheAnswerAsASubsequence() {
    var task = Quickstart.task();
    var clean = ai.seqmatch.tasks.TaskDataset.sample(task, 200, 1);
    var noisy = NoisyCompletions.corrupt(clean, task, NoiseKind.TASK, 0.5, 0);
    int longer = 0;
    for (int i = 0; i < clean.size(); i++) {
      String c = clean.get(i).completion();
      String n = noisy.get(i).completion();
      int k = 0;
      for (int p = 0; p < n.length() && k < c.length(); p++) {
        k += n.charAt(p) == c.charAt(k) ? 1 : 0;
      }
      assertEquals(c.length(), k, c + " in " + n);
      longer += n.length() > c.length() ? 1 : 0;
    }
    assertTrue(longer > 100, "noise inserted in " + longer + " of 200 rows at η=0.5");
  }
}
