/*
 * The Llama family through the CLI as users run it, on the llama-tiny-a fixture (a Hugging Face
 * directory as is): inspect names the family and its GQA shape; export --json reports the Llama graph;
 * generate --greedy gives transformers' 20 greedy tokens on the native engine and on ONNX Runtime alike.
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.seqmatch.io.SafeTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class LlamaCliTest {
  static final Path LLAMA = Path.of("../seqmatch-core/src/test/resources/fixtures/llama-tiny-a");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  private static String run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SeqMatchCli.newCommandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    assertEquals(0, cli.execute(args), err.toString());
    return out.toString();
  }

  @Test
  void inspectExportGenerate() throws Exception {
    JsonNode inspect = JSON.readTree(run("inspect", LLAMA.toString(), "--json"));
    assertEquals("llama", inspect.get("architecture").asText());
    assertEquals(2, inspect.get("num_key_value_heads").asInt());
    assertEquals(16, inspect.get("head_dim").asInt());

    Path onnx = tmp.resolve("onnx");
    JsonNode export = JSON.readTree(run("export", "--checkpoint", LLAMA.toString(), "--out", onnx.toString(),
        "--json"));
    assertEquals("llama", export.get("model_type").asText());
    assertEquals(2, export.get("n_kv_heads").asInt());

    SafeTensors expected = SafeTensors.open(LLAMA.resolve("expected.safetensors"));
    int p = (int) expected.info("prompt_ids").shape()[1];
    int n = (int) expected.info("greedy_ids").shape()[1];
    long[] prompt = Arrays.copyOf(expected.longs("prompt_ids"), p);
    long[] want = Arrays.copyOf(expected.longs("greedy_ids"), n);
    String ids = String.join(",", Arrays.stream(prompt).mapToObj(Long::toString).toList());
    String[] common = {"--prompt-ids", ids, "--greedy", "--max-new-tokens", Integer.toString(n), "--json"};
    for (String[] engine : List.of(new String[] {"--checkpoint", LLAMA.toString()},
        new String[] {"--engine", "onnx", "--model", onnx.toString()})) {
      List<String> args = new ArrayList<>(List.of("generate"));
      args.addAll(List.of(engine));
      args.addAll(List.of(common));
      JsonNode row = JSON.readTree(run(args.toArray(new String[0])).lines().findFirst().orElseThrow());
      long[] tokens = new long[row.get("tokens").size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = row.get("tokens").get(i).asLong();
      }
      assertEquals(Arrays.toString(want), Arrays.toString(Arrays.copyOfRange(tokens, p, tokens.length)),
          String.join(" ", engine));
    }
  }
}
