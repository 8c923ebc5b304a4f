/*
 * The launcher as users see it: exit codes 0/1/2, one-line errors plus "Try ... --help", --json.
 * Runs commands through SeqMatchCli.newCommandLine() with captured out/err (System.out untouched).
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeqMatchCliTest {
  @TempDir Path tmp;

  private record Run(int code, String out, String err) {
    String[] errLines() {
      return err.strip().split("\n");
    }
  }

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** A one-line reason, then the help hint for the command that failed. */
  private static void assertUsageError(Run r, String command) {
    assertEquals(2, r.code(), r.err());
    String[] lines = r.errLines();
    assertEquals(2, lines.length, r.err());
    assertTrue(lines[0].startsWith(command + ": "), lines[0]);
    assertEquals("Try '" + command + " --help'", lines[1]);
  }

  @Test
  void version() throws Exception {
    Run r = run("version");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("libtorch "), r.out());
    assertTrue(r.out().contains("cuda: "), r.out());
    JsonNode json = new ObjectMapper().readTree(run("version", "--json").out());
    assertTrue(json.path("libtorch").asText().matches("\\d+\\.\\d+.*"), json.toString());
    assertTrue(json.has("cuda_available"));
    assertTrue(json.path("onnxruntime").asText().matches("\\d+\\.\\d+.*"), json.toString());
    assertTrue(r.out().contains("onnxruntime "), r.out());
  }

  @Test
  void inspectCheckpointAsJson() throws Exception {
    Path dir = tmp.resolve("ckpt");
    ModelConfig config = ModelConfig.builder(40).optNPositions(16).optNEmbd(16).optNLayer(1).optNHead(2)
        .optEosTokenId(39).build();
    long params;
    try (Gpt2Model model = Gpt2Model.create(config, 3, Device.cpu())) {
      model.save(dir);
      params = model.numParameters();
    }
    Run r = run("inspect", dir.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertEquals(params, json.path("parameters").asLong());
    assertEquals(40, json.path("vocab_size").asLong());
    assertEquals(39, json.path("special_tokens").path("eos").asLong());
    assertTrue(json.path("special_tokens").path("bkspc").isNull());
    assertEquals("cpu", json.path("device").asText());
    assertEquals(0, run("inspect", dir.toString()).code());
  }

  @Test
  void inspectMissingCheckpointIsBadInput() {
    Run r = run("inspect", tmp.resolve("missing").toString());
    assertUsageError(r, "seqmatch inspect");
    assertTrue(r.errLines()[0].contains("missing"), r.err());
  }

  @Test
  void stacktraceOnlyWhenAsked() {
    Run r = run("--stacktrace", "inspect", tmp.resolve("missing").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("\tat "), r.err());
    Run s = run("inspect", tmp.resolve("missing").toString(), "--stacktrace");
    assertTrue(s.err().contains("\tat "), s.err());
  }

  @Test
  void usageErrors() {
    assertUsageError(run("inspect"), "seqmatch inspect");
    assertUsageError(run("inspect", "x", "--no-such-option"), "seqmatch inspect");
    assertUsageError(run("no-such-command"), "seqmatch");
    assertUsageError(run("quickstart", "--no-such-option"), "seqmatch quickstart");
    assertEquals(2, run().code());
  }
}
