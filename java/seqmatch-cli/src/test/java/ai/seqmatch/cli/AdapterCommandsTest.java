/*
 * LoRA adapters through the CLI as users run them: a `"lora"` training run leaves a PEFT adapter in final/;
 * `seqmatch merge` folds it into a plain checkpoint; `generate`, `eval`, `serve` (native) take `--adapter` on
 * the base, and `export --adapter` exports the merged model. The merged checkpoint and base + adapter give
 * the same logits (the adapter changes them) and the same greedy generations, through the native and the ONNX
 * engine. Bad adapter directories and misplaced flags are one line with exit 2.
 */
package ai.seqmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.model.CausalLM;
import ai.seqmatch.model.ModelConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdapterCommandsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  private static Path base;
  private static Path adapter;

  /** A random byte-level base without <bkspc> (as a Hugging Face base), then 6 LoRA SequenceMatch steps on it. */
  @BeforeAll
  static void trainAdapter() throws IOException {
    ModelConfig config = ModelConfig.builder(258).optNPositions(64).optNEmbd(32).optNLayer(2).optNHead(2)
        .optEosTokenId(256).optPadTokenId(257).build();
    base = tmp.resolve("base");
    try (CausalLM m = CausalLM.create(config, 3, Device.cpu())) {
      m.save(base);
    }
    Path data = TrainFixtures.preparedData(tmp);
    Path file = TrainFixtures.smConfig(tmp, data, "lora", tmp.resolve("run"));
    ObjectNode c = (ObjectNode) JSON.readTree(file.toFile());
    c.putObject("model").put("init", base.toString());
    c.putObject("lora").put("r", 4).put("alpha", 8).putArray("target_modules").add("c_attn").add("c_fc");
    c.put("max_steps", 6).put("eval_every", 0);
    ((ObjectNode) c.get("objective")).put("warmup_bc_steps", 2);
    ((ObjectNode) c.get("replay")).put("sample_every", 2);
    Files.writeString(file, JSON.writeValueAsString(c));
    TrainFixtures.Run r = TrainFixtures.cli("train", "--config", file.toString());
    assertEquals(0, r.code(), r.err());
    adapter = tmp.resolve("run").resolve("final");
  }

  @Test
  void trainingLeavesAPeftAdapterInFinal() throws IOException {
    assertTrue(Files.isRegularFile(adapter.resolve("adapter_model.safetensors")));
    JsonNode c = JSON.readTree(adapter.resolve("adapter_config.json").toFile());
    assertEquals("LORA", c.get("peft_type").asText());
    assertEquals(4, c.get("r").asInt());
    assertEquals(258, c.get("trainable_token_indices").get("wte").get(0).asInt(), "the <bkspc> row trained");
    assertFalse(Files.exists(adapter.resolve("model.safetensors")), "final/ holds the adapter, not a model");
  }

  @Test
  void mergedCheckpointEqualsBasePlusAdapter() {
    Path merged = tmp.resolve("merged");
    TrainFixtures.Run m = TrainFixtures.cli("merge", "--base", base.toString(), "--adapter", adapter.toString(),
        "--out", merged.toString(), "--json");
    assertEquals(0, m.code(), m.err());
    long[] ids = {72, 101, 108, 108, 111, 32, 116, 104};
    float[] plain;
    float[] withAdapter;
    float[] fromMerged;
    try (CausalLM b = CausalLM.load(base, Device.cpu());
        CausalLM a = CausalLM.load(base, adapter, Device.cpu());
        CausalLM g = CausalLM.load(merged, Device.cpu())) {
      assertEquals(258, a.config().bkspcTokenId(), "the <bkspc> id comes with the adapter");
      assertEquals(259, g.config().vocabSize());
      assertEquals(258, g.config().bkspcTokenId());
      plain = b.forward(ids, 1, ids.length);
      withAdapter = a.forward(ids, 1, ids.length);
      fromMerged = g.forward(ids, 1, ids.length);
    }
    double changed = 0;
    for (int t = 0; t < ids.length; t++) {
      for (int v = 0; v < 258; v++) {
        changed = Math.max(changed, Math.abs(plain[t * 258 + v] - withAdapter[t * 259 + v]));
      }
    }
    assertTrue(changed > 1e-4, "the adapter must change the logits (max change " + changed + ")");
    for (int i = 0; i < withAdapter.length; i++) {
      assertEquals(withAdapter[i], fromMerged[i], 1e-5, "logit " + i);
    }

    String[] common = {"--prompt-ids", "72,101,108", "--prompt-ids", "116,104", "--max-new-tokens", "10", "--greedy",
        "--json"};
    TrainFixtures.Run viaAdapter = TrainFixtures.cli(concat(new String[] {"generate", "--checkpoint", base.toString(),
        "--adapter", adapter.toString()}, common));
    TrainFixtures.Run viaMerged = TrainFixtures.cli(concat(new String[] {"generate", "--checkpoint",
        merged.toString()}, common));
    assertEquals(0, viaAdapter.code(), viaAdapter.err());
    assertEquals(viaMerged.out(), viaAdapter.out());

    Path onnx = tmp.resolve("onnx");
    TrainFixtures.Run export = TrainFixtures.cli("export", "--checkpoint", base.toString(), "--adapter",
        adapter.toString(), "--out", onnx.toString());
    assertEquals(0, export.code(), export.err());
    TrainFixtures.Run ort = TrainFixtures.cli(concat(new String[] {"generate", "--engine", "onnx", "--model",
        onnx.toString()}, common));
    assertEquals(0, ort.code(), ort.err());
    assertEquals(viaMerged.out(), ort.out(), "the export holds the merged model");
  }

  @Test
  void badAdaptersAndMisplacedFlagsAreOneLineWithExit2() throws IOException {
    TrainFixtures.cli("merge", "--base", base.toString(), "--adapter", tmp.resolve("nope").toString(), "--out",
        tmp.resolve("x").toString()).assertBadInput("seqmatch merge", "adapter", "nope", "not a directory");

    Path rZero = tmp.resolve("r-zero");
    Files.createDirectories(rZero);
    for (String f : new String[] {"adapter_config.json", "adapter_model.safetensors"}) {
      Files.copy(adapter.resolve(f), rZero.resolve(f));
    }
    ObjectNode c = (ObjectNode) JSON.readTree(rZero.resolve("adapter_config.json").toFile());
    c.put("r", 0);
    Files.writeString(rZero.resolve("adapter_config.json"), JSON.writeValueAsString(c));
    TrainFixtures.cli("merge", "--base", base.toString(), "--adapter", rZero.toString(), "--out",
        tmp.resolve("y").toString()).assertBadInput("seqmatch merge", "r-zero/adapter_config.json", "field 'r'");
    assertFalse(Files.exists(tmp.resolve("y")), "nothing written on an error");

    TrainFixtures.cli("generate", "--checkpoint", base.toString(), "--adapter", rZero.toString(), "--prompt-ids",
        "1").assertBadInput("seqmatch generate", "field 'r'");
    TrainFixtures.cli("generate", "--engine", "onnx", "--model", tmp.toString(), "--adapter", adapter.toString(),
        "--prompt-ids", "1").assertBadInput("seqmatch generate", "--adapter");
    TrainFixtures.cli("eval", "--checkpoint", base.toString(), "--checkpoint", base.toString(), "--adapter",
        adapter.toString(), "--task", "add-or-sub-in-base").assertBadInput("seqmatch eval", "--adapter given 1 time(s)");
    TrainFixtures.cli("serve", "--model", tmp.toString(), "--adapter", adapter.toString())
        .assertBadInput("seqmatch serve", "--adapter");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
