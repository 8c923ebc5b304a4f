/*
 * `seqmatch eval --mauve-reference FILE --feature-model DIR` end to end on a tiny random byte-level model
 * exported with `seqmatch export`: the model's own greedy continuations as the reference give MAUVE ≈ 1 (the
 * same texts, the same features), a reference of unrelated text gives far less, and bad inputs (missing file,
 * empty reference, one option without the other, a feature model without the hidden output, a .npy reference
 * of the wrong dimension) are one-line errors with exit 2.
 */
package ai.seqmatch.cli;

import static ai.seqmatch.cli.TasksCommandTest.assertBadInput;
import static ai.seqmatch.cli.TasksCommandTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.cli.TasksCommandTest.Run;
import ai.seqmatch.eval.mauve.Npy;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import ai.seqmatch.onnx.OrtModel;
import ai.seqmatch.onnx.proto.GraphProto;
import ai.seqmatch.onnx.proto.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalMauveTest {
  @TempDir Path tmp;
  private Path ckpt;
  private Path onnx;
  private Path prompts;
  private final ObjectMapper mapper = new ObjectMapper();

  @BeforeEach
  void model() throws Exception {
    ckpt = tmp.resolve("ckpt");
    ModelConfig config = ModelConfig.builder(259).optNPositions(64).optNEmbd(32).optNLayer(1).optNHead(2)
        .optEosTokenId(256).optPadTokenId(257).optBkspcTokenId(258).build();
    try (CausalLM model = CausalLM.create(config, 11, Device.cpu())) {
      model.save(ckpt);
    }
    ObjectNode c = (ObjectNode) mapper.readTree(ckpt.resolve("config.json").toFile());
    c.putObject("seqmatch").putObject("tokenizer").put("type", "byte");
    Files.writeString(ckpt.resolve("config.json"), c.toString());
    onnx = tmp.resolve("onnx");
    Run e = run("export", "--checkpoint", ckpt.toString(), "--out", onnx.toString());
    assertEquals(0, e.code(), e.err());
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      p.append("prompt ").append(i).append(" of ").append((char) ('a' + i % 26)).append('\n');
    }
    prompts = tmp.resolve("prompts.txt");
    Files.writeString(prompts, p.toString());
  }

  private Run eval(String... extra) {
    List<String> args = new ArrayList<>(List.of("eval", "--checkpoint", ckpt.toString(), "--prompts",
        prompts.toString(), "--max-new-tokens", "12", "--json"));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  private JsonNode metrics(Run r) throws Exception {
    assertEquals(0, r.code(), r.err());
    return mapper.readTree(r.out()).get("checkpoints").get(ckpt.toString());
  }

  @Test
  void ownContinuationsGiveMauveNearOneAndUnrelatedTextLess() throws Exception {
    // the model's greedy continuations, read back from the examples of a plain eval
    JsonNode plain = metrics(eval("--examples", "40"));
    StringBuilder same = new StringBuilder();
    for (JsonNode x : plain.get("examples")) {
      same.append(mapper.createObjectNode().put("text", x.get("completion").asText())).append('\n');
    }
    Path sameFile = tmp.resolve("same.jsonl");
    Files.writeString(sameFile, same.toString());
    JsonNode m = metrics(eval("--mauve-reference", sameFile.toString(), "--feature-model", onnx.toString()));
    double identical = m.get("metrics").get("mauve").asDouble();
    assertTrue(identical > 0.99, m.toString());
    assertTrue(m.get("metrics").get("frontier_integral").asDouble() < 1e-6, m.toString());
    assertEquals(40, m.get("counts").get("mauve_reference_texts").asInt());
    assertEquals(4, m.get("counts").get("mauve_clusters").asInt());
    assertTrue(m.get("metrics").has("distinct_1"), "the other text metrics stay");

    StringBuilder other = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      other.append("0".repeat(1 + i % 7)).append(" ").append(i * 37).append('\n');
    }
    Path otherFile = tmp.resolve("other.txt");
    Files.writeString(otherFile, other.toString());
    double far = metrics(eval("--mauve-reference", otherFile.toString(), "--feature-model", onnx.toString()))
        .get("metrics").get("mauve").asDouble();
    assertTrue(far < identical - 0.2, "unrelated reference: " + far + " vs identical " + identical);

    Run table = run("eval", "--checkpoint", ckpt.toString(), "--prompts", prompts.toString(), "--max-new-tokens",
        "12", "--mauve-reference", sameFile.toString(), "--feature-model", onnx.toString());
    assertEquals(0, table.code(), table.err());
    assertTrue(table.out().contains("\nmauve ") && table.out().contains("\nfrontier_integral "), table.out());
  }

  @Test
  void badInputsAreOneLineErrors() throws Exception {
    String model = onnx.toString();
    assertBadInput(eval("--mauve-reference", tmp.resolve("missing.txt").toString(), "--feature-model", model),
        "eval", "--mauve-reference: no such file", "missing.txt");
    assertBadInput(eval("--feature-model", model), "eval", "--mauve-reference and --feature-model go together");
    Path empty = tmp.resolve("empty.txt");
    Files.writeString(empty, "\n  \n");
    assertBadInput(eval("--mauve-reference", empty.toString(), "--feature-model", model), "eval",
        "holds no texts", "empty.txt");
    Path npy = tmp.resolve("ref.npy");
    Npy.write(npy, new double[][] {{1, 2, 3}, {4, 5, 6}}, true);
    assertBadInput(eval("--mauve-reference", npy.toString(), "--feature-model", model), "eval",
        "has 3 features per point, but the feature model gives 32");
    Path ref = tmp.resolve("ref.txt");
    Files.writeString(ref, "some text\n");
    assertBadInput(eval("--mauve-reference", ref.toString(), "--feature-model", ckpt.toString()), "eval",
        "seqmatch-onnx.json");

    Path modelFile = onnx.resolve("model.onnx");
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(modelFile));
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = g.getOutputCount() - 1; i >= 0; i--) {
      if (g.getOutput(i).getName().equals(OrtModel.HIDDEN_OUTPUT)) {
        g.removeOutput(i);
      }
    }
    Files.write(modelFile, m.toBuilder().setGraph(g).build().toByteArray());
    assertBadInput(eval("--mauve-reference", ref.toString(), "--feature-model", model), "eval",
        "has no last_hidden_state output", "re-export");
  }
}
