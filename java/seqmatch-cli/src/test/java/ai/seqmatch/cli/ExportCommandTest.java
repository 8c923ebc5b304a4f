/*
 * `seqmatch export` and `seqmatch generate --engine onnx` as users run them: the ONNX engine prints the
 * same --json as the native one (greedy and seeded sampling with backspaces), and bad input is one line
 * with exit 2.
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
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ExportCommandTest {
  static final Path HF_TINY = GenerateCommandTest.HF_TINY;

  @TempDir Path tmp;

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  private static void assertBadInput(Run r, String command, String mention) {
    assertEquals(2, r.code(), r.err());
    String[] lines = r.err().strip().split("\n");
    assertEquals(2, lines.length, r.err());
    assertTrue(lines[0].startsWith("seqmatch " + command + ": "), lines[0]);
    assertTrue(lines[0].contains(mention), "expected '" + mention + "' in: " + lines[0]);
    assertEquals("Try 'seqmatch " + command + " --help'", lines[1]);
  }

  @Test
  void onnxEngineMatchesNativeOnTheHfFixture() throws Exception {
    Path out = tmp.resolve("onnx");
    Run export = run("export", "--checkpoint", HF_TINY.toString(), "--out", out.toString(), "--json");
    assertEquals(0, export.code(), export.err());
    JsonNode info = new ObjectMapper().readTree(export.out());
    assertEquals("float32", info.get("dtype").asText());
    assertTrue(Files.isRegularFile(out.resolve("model.onnx")));
    String[] common = {"--prompt-ids", "1,2,3,4", "--prompt-ids", "9,8", "--max-new-tokens", "12", "--greedy", "--json"};
    Run nat = run(concat(new String[] {"generate", "--checkpoint", HF_TINY.toString()}, common));
    Run ort = run(concat(new String[] {"generate", "--engine", "onnx", "--model", out.toString()}, common));
    assertEquals(0, nat.code(), nat.err());
    assertEquals(0, ort.code(), ort.err());
    assertEquals(nat.out(), ort.out());
  }

  /** A random model with <eos>/<bkspc> at temperature 3: backspaces happen, the JSON is identical. */
  @Test
  void seededSamplingWithBackspacesMatchesNative() throws Exception {
    ModelConfig config = ModelConfig.builder(24).optNPositions(48).optNEmbd(32).optNLayer(2).optNHead(4)
        .optEosTokenId(22).optBkspcTokenId(23).build();
    Path ckpt = tmp.resolve("ckpt");
    try (CausalLM m = CausalLM.create(config, 5, Device.cpu())) {
      m.save(ckpt);
    }
    Path out = tmp.resolve("onnx-bk");
    assertEquals(0, run("export", "--checkpoint", ckpt.toString(), "--out", out.toString()).code());
    String[] common = {"--prompt-ids", "1", "--prompt-ids", "2,3,4,5,6", "--prompt-ids", "7,8,9", "--max-new-tokens",
        "30", "--temperature", "3", "--seed", "11", "--json"};
    Run nat = run(concat(new String[] {"generate", "--checkpoint", ckpt.toString()}, common));
    Run ort = run(concat(new String[] {"generate", "--engine", "onnx", "--model", out.toString()}, common));
    assertEquals(0, ort.code(), ort.err());
    assertEquals(nat.out(), ort.out());
    int backspaces = 0;
    for (JsonNode r : new ObjectMapper().readTree(ort.out()).get("results")) {
      backspaces += r.get("backspaces").asInt();
    }
    System.out.println("onnx engine --json identical to native, backspaces: " + backspaces);
    assertTrue(backspaces > 0, "temperature 3 on 24 tokens should produce a <bkspc>");
  }

  @Test
  void badInputIsOneLineAndExit2() {
    assertBadInput(run("export", "--checkpoint", tmp.resolve("missing").toString(), "--out", tmp.resolve("o").toString()),
        "export", "not a directory");
    assertBadInput(run("generate", "--engine", "onnx", "--model", HF_TINY.toString(), "--prompt-ids", "1"),
        "generate", "not a SeqMatch ONNX export");
    assertBadInput(run("generate", "--engine", "onnx", "--prompt-ids", "1"), "generate", "--engine onnx needs --model");
    assertBadInput(run("generate", "--engine", "tpu", "--checkpoint", HF_TINY.toString(), "--prompt-ids", "1"),
        "generate", "--engine must be native or onnx");
    assertBadInput(run("generate", "--prompt-ids", "1"), "generate", "--engine native needs --checkpoint");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
