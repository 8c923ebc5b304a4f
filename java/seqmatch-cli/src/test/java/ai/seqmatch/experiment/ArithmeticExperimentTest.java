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
        List.of(NoiseKind.TASK, NoiseKind.UNIFORM), 2, 10, 1, 1, 10, 10, 0);
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
