/*
 * The launcher as users see it: exit codes 0/1/2, one-line errors plus "Try ... --help", --json.
 * Runs commands through SeqMatchCli.newCommandLine() with captured out/err (System.out untouched).
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
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
    try (CausalLM model = CausalLM.create(config, 3, Device.cpu())) {
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

  /** Peak resident set of this process (VmHWM), in bytes. */
  private static long peakRss() throws java.io.IOException {
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  @Test
  void inspectRejectsHugeConfigSizesBeforeAllocating() throws Exception {
    Path dir = tmp.resolve("huge");
    ModelConfig config = ModelConfig.builder(40).optNPositions(16).optNEmbd(16).optNLayer(1).optNHead(2).build();
    try (CausalLM model = CausalLM.create(config, 3, Device.cpu())) {
      model.save(dir);
    }
    Path file = dir.resolve("config.json");
    ObjectMapper json = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode c =
        (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(file.toFile());
    long before = peakRss();
    // vocab_size 1e7 x n_embd 16 floats = 640 MB if the model were built before the weights are checked.
    java.nio.file.Files.writeString(file, c.put("vocab_size", 10_000_000).toString());
    Run r = run("inspect", dir.toString());
    assertUsageError(r, "seqmatch inspect");
    assertTrue(r.errLines()[0].contains("vocab_size, n_embd = [10000000, 16] do not match tensor "
        + "'transformer.wte.weight' [40, 16]"), r.err());
    java.nio.file.Files.writeString(file, c.put("vocab_size", 40).put("n_positions", 100_000_000).toString());
    r = run("inspect", dir.toString());
    assertUsageError(r, "seqmatch inspect");
    assertTrue(r.errLines()[0].endsWith("field 'n_positions' must be in [1, 1048576] (got 100000000)"), r.err());
    assertTrue(peakRss() - before < 200L << 20, "peak RSS grew by " + ((peakRss() - before) >> 20) + " MB");
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
