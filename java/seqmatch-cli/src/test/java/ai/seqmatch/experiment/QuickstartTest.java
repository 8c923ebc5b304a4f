/*
 * `seqmatch quickstart` end to end with a tiny budget (4 steps per method, 8 test prompts): the three
 * methods' rows in REPORT.md, decodable charts, an ONNX export, and one-line usage errors.
 * Run: mvn -B verify -Dseqmatch.native.skip -pl java/seqmatch-cli -Dtest='QuickstartTest*'
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

class QuickstartTest {
  @TempDir Path tmp;

  @Test
  void tinyBudgetRunsEndToEnd() throws Exception {
    Path out = tmp.resolve("qs");
    CliRun r = CliRun.of("quickstart", "--out", out.toString(), "--steps", "4", "--test", "8", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("[3/3 SequenceMatch-χ²"), r.err());
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertEquals(3, j.path("runs").size());
    assertEquals(Quickstart.ONNX_SAMPLES, j.path("onnx_samples").size());
    String report = Files.readString(out.resolve("REPORT.md"));
    assertTrue(report.contains("| MLE (no noise) |"), report);
    assertTrue(report.contains("| BC (ground-truth noise, η=0.10) |"), report);
    assertTrue(report.contains("| SequenceMatch-χ² (ground-truth noise, η=0.10) |"), report);
    assertTrue(report.contains("![training curves](curves.png)"), report);
    for (String part : List.of("greedy accuracy", "sampled T=1", "finish reasons", "Greedy accuracy per base",
        "| run | base ", "SequenceMatch-χ² − BC", "Wilson")) {
      assertTrue(report.contains(part), part + " in " + report);
    }
    assertTrue(report.matches("(?s).*\\| \\d\\.\\d{3} \\[\\d\\.\\d{3}, \\d\\.\\d{3}\\] \\|.*"), report); // an interval
    // the test split: distinct prompts, every test base trained on
    List<String> test = Files.readAllLines(out.resolve("data/test.jsonl"));
    assertEquals(8, test.stream().distinct().count());
    String train = Files.readString(out.resolve("data/train.jsonl"));
    for (String line : test) {
      String base = line.replaceAll("^\\{\"prompt\":\"(In base \\d+,).*$", "$1");
      assertTrue(train.contains(base), base);
      assertTrue(!train.contains(line.substring(0, line.indexOf("\",\"completion"))), line);
    }
    CliRun.assertPng(out.resolve("curves.png"));
    CliRun.assertPng(out.resolve("accuracy.png"));
    assertTrue(Files.isRegularFile(out.resolve("onnx").resolve("model.onnx")));
    for (JsonNode run : j.path("runs")) {
      double acc = run.path("accuracy").asDouble(-1);
      assertTrue(acc >= 0 && acc <= 1, run.toString());
      assertTrue(run.path("accuracy_low").asDouble() <= acc && acc <= run.path("accuracy_high").asDouble(),
          run.toString());
      assertTrue(run.path("sampled_accuracy").isNumber(), run.toString());
      assertTrue(run.path("finish_reasons").size() >= 1, run.toString());
    }
  }

  @Test
  void badOptionsExitTwoWithOneLine() {
    CliRun.of("quickstart", "--steps", "0").assertUsageError("seqmatch quickstart", "--steps");
    CliRun.of("quickstart", "--eta", "1.5").assertUsageError("seqmatch quickstart", "--eta");
    CliRun.of("quickstart", "--noise", "pink").assertUsageError("seqmatch quickstart", "--noise");
    CliRun.of("quickstart", "--steps", "x").assertUsageError("seqmatch quickstart", "--steps");
  }
}
