/*
 * The Llama family through ONNX Runtime, against transformers' numbers: llama-tiny-a (GQA 4/2, untied
 * lm_head) and qwen2-tiny (q/k/v biases, tied, θ = 1e6) exported by LlamaOnnxGraph give the fixtures'
 * logits (float32, 1e-4) and their 20 greedy tokens through OrtGenerator's KV cache; a cached
 * continuation gives the fixture's full-forward logits; a packed backspace row (DESIGN.md §3) gives, row
 * by row, the logits of a clean forward of each state; and greedy generation with <bkspc> (one of the
 * fixture's tokens declared the backspace) takes, at every action, the argmax of a clean forward of the
 * current state under the no-retype rule.
 */
package ai.seqmatch.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.io.SafeTensors;
import ai.seqmatch.sample.GenerationResult;
import ai.seqmatch.sample.SamplingOptions;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaOrtTest {
  // float32 on both sides; 1e-4 is the fixtures' own tolerance (the observed max is printed).
  private static final float ATOL = 1e-4f;

  @TempDir Path dir;

  private Path export(String fixture) {
    Path out = dir.resolve(fixture + "-onnx");
    OnnxExporter.builder(TestModels.fixture(fixture), out).build().export();
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void logitsMatchTransformers(String fixture) throws IOException {
    Path onnx = export(fixture);
    SafeTensors expected = SafeTensors.open(TestModels.fixture(fixture).resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    try (OrtModel m = OrtModel.load(onnx)) {
      assertEquals(fixture.startsWith("qwen2") ? "qwen2" : "llama", m.info().modelType());
      assertEquals(2, m.info().nKvHeads());
      assertEquals(4, m.info().nHead());
      float[] got = m.forward(expected.longs("input_ids"), null, null, (int) shape[0], (int) shape[1]);
      assertTrue(TestModels.maxDiff(fixture + " logits", expected.floats("logits"), got, ATOL) <= ATOL);
    }
  }

  /** float16 storage with external data: loads, and logits stay within 2e-2 (weights rounded to 11 bits). */
  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void fp16ExternalDataExportIsClose(String fixture) throws IOException {
    Path out = dir.resolve(fixture + "-fp16");
    OnnxModelInfo info = OnnxExporter.builder(TestModels.fixture(fixture), out).optFp16(true)
        .optExternalData(OnnxExporter.ExternalData.ALWAYS).build().export();
    assertEquals("float16", info.dtype());
    assertTrue(Files.isRegularFile(out.resolve("model.onnx.data")));
    SafeTensors expected = SafeTensors.open(TestModels.fixture(fixture).resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    try (OrtModel m = OrtModel.load(out)) {
      float[] got = m.forward(expected.longs("input_ids"), null, null, (int) shape[0], (int) shape[1]);
      assertTrue(TestModels.maxDiff(fixture + " fp16", expected.floats("logits"), got, 2e-2f) <= 2e-2f);
    }
  }

  /** The prefix's presents as past, then the rest == the fixture's full-forward logits of the rest. */
  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void kvCacheContinuationMatchesFullForward(String fixture) throws IOException {
    Path onnx = export(fixture);
    SafeTensors expected = SafeTensors.open(TestModels.fixture(fixture).resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    int B = (int) shape[0];
    int total = (int) shape[1];
    int V = (int) shape[2];
    int P = 7;
    int T = total - P;
    long[] all = expected.longs("input_ids");
    float[] full = expected.floats("logits");
    long[] prefix = new long[B * P];
    long[] rest = new long[B * T];
    float[] want = new float[B * T * V];
    for (int b = 0; b < B; b++) {
      System.arraycopy(all, b * total, prefix, b * P, P);
      System.arraycopy(all, b * total + P, rest, b * T, T);
      System.arraycopy(full, (b * total + P) * V, want, b * T * V, T * V);
    }
    try (OrtModel m = OrtModel.load(onnx)) {
      OrtModel.Step first = m.forward(prefix, null, null, B, P, 0, null, null);
      assertEquals(B * 2 * P * 16, first.presentKey()[0].length, "cache holds n_kv_heads = 2 heads of 16");
      OrtModel.Step second = m.forward(rest, null, null, B, T, P, first.presentKey(), first.presentValue());
      assertTrue(TestModels.maxDiff(fixture + " continued", want, second.logits(), ATOL) <= ATOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void greedyTokensMatchTransformers(String fixture) throws IOException {
    Path onnx = export(fixture);
    SafeTensors expected = SafeTensors.open(TestModels.fixture(fixture).resolve("expected.safetensors"));
    long[] prompt = expected.longs("prompt_ids");
    long[] want = expected.longs("greedy_ids"); // the new tokens only
    int rows = (int) expected.info("prompt_ids").shape()[0];
    int p = (int) expected.info("prompt_ids").shape()[1];
    int n = (int) expected.info("greedy_ids").shape()[1];
    List<long[]> prompts = new ArrayList<>();
    for (int b = 0; b < rows; b++) {
      prompts.add(Arrays.copyOfRange(prompt, b * p, (b + 1) * p));
    }
    try (OrtModel om = OrtModel.load(onnx); OrtGenerator ort = new OrtGenerator(om)) {
      List<GenerationResult> got = ort.generate(prompts, SamplingOptions.greedy(n));
      for (int b = 0; b < rows; b++) {
        assertArrayEquals(Arrays.copyOfRange(want, b * n, (b + 1) * n), got.get(b).generated(), "row " + b);
      }
    }
  }

  /** DESIGN.md §3's packing: every packed row's logits are those of a clean forward of its state. */
  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void packedBackspaceRowsMatchCleanForwardPerState(String fixture) {
    Path onnx = export(fixture);
    long bk = -1; // a marker: the packing itself never feeds <bkspc> as an id
    long[] actions = {1, 5, 6, 7, bk, bk, 8, 9, 10, bk, 11, 12};
    int T = actions.length;
    TestModels.Packed p = TestModels.pack(actions, bk);
    List<long[]> states = p.states();
    try (OrtModel m = OrtModel.load(onnx)) {
      int V = (int) m.info().vocabSize();
      float[] packed = m.forward(p.ids(), p.pos(), p.mask(), 1, T);
      float max = 0;
      for (int t = 0; t < T; t++) {
        long[] s = states.get(t);
        float[] clean = m.forward(s, null, null, 1, s.length);
        float[] want = Arrays.copyOfRange(clean, (s.length - 1) * V, s.length * V);
        float[] got = Arrays.copyOfRange(packed, t * V, (t + 1) * V);
        max = Math.max(max, TestModels.maxDiff(fixture + " packed row " + t, want, got, ATOL));
      }
      assertTrue(max <= ATOL, "max " + max);
    }
  }

  /**
   * Declares the fixture's 4th greedy token <bkspc>, so greedy decoding deletes; every action of the
   * KV-cached OrtGenerator must be the masked argmax of a clean forward of the state it was taken in.
   */
  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void greedyWithBackspaceFollowsCleanForwards(String fixture) throws IOException {
    SafeTensors expected = SafeTensors.open(TestModels.fixture(fixture).resolve("expected.safetensors"));
    long bkspc = expected.longs("greedy_ids")[3];
    Path ckpt = dir.resolve(fixture + "-bk");
    Files.createDirectories(ckpt);
    Files.copy(TestModels.fixture(fixture).resolve("model.safetensors"), ckpt.resolve("model.safetensors"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(TestModels.fixture(fixture).resolve("config.json").toFile());
    config.putObject("seqmatch").put("bkspc_token_id", bkspc);
    Files.writeString(ckpt.resolve("config.json"), json.writeValueAsString(config));
    Path onnx = dir.resolve(fixture + "-bk-onnx");
    OnnxExporter.builder(ckpt, onnx).build().export();
    int p = (int) expected.info("prompt_ids").shape()[1];
    long[] prompt = Arrays.copyOf(expected.longs("prompt_ids"), p);
    try (OrtModel om = OrtModel.load(onnx); OrtGenerator ort = new OrtGenerator(om)) {
      GenerationResult r = ort.generate(prompt, SamplingOptions.builder().optGreedy(true).optMaxNewTokens(20)
          .optMaxActions(40).build());
      System.out.println(fixture + ": actions " + Arrays.toString(r.actions()) + ", " + r.backspaces()
          + " backspaces, " + r.finishReason());
      assertTrue(r.backspaces() > 0, "the declared <bkspc> was never chosen");
      List<Long> state = new ArrayList<>(Arrays.stream(prompt).boxed().toList());
      Map<Integer, Set<Long>> banned = new HashMap<>(); // state length -> ids deleted at that state
      int V = (int) om.info().vocabSize();
      for (long a : r.actions()) {
        long[] s = state.stream().mapToLong(Long::longValue).toArray();
        float[] logits = om.forward(s, null, null, 1, s.length);
        long best = -1;
        for (int v = 0; v < V; v++) {
          boolean allowed = !(v == bkspc && state.size() == p) && !banned.getOrDefault(state.size(), Set.of())
              .contains((long) v);
          if (allowed && (best < 0 || logits[(s.length - 1) * V + v] > logits[(s.length - 1) * V + (int) best])) {
            best = v;
          }
        }
        assertEquals(best, a, "action " + a + " in state " + state);
        if (a == bkspc) {
          long deleted = state.remove(state.size() - 1);
          banned.computeIfAbsent(state.size(), k -> new HashSet<>()).add(deleted);
        } else {
          int at = state.size();
          banned.keySet().removeIf(len -> len > at); // those sets belonged to another prefix
          state.add(a);
        }
      }
      assertEquals(state, Arrays.stream(r.tokens()).boxed().toList(), "replayed final state");
    }
  }

  /** An info file from before the Llama family (no model_type, n_kv_heads, n_embd) reads as GPT-2. */
  @Test
  void olderExportInfoReadsAsGpt2() throws IOException {
    Path old = dir.resolve("old");
    Files.createDirectories(old);
    Files.write(old.resolve("model.onnx"), new byte[0]);
    Files.writeString(old.resolve(OnnxModelInfo.FILE), "{\"format_version\": 1, \"n_layer\": 2, \"n_head\": 4, "
        + "\"head_dim\": 8, \"vocab_size\": 24, \"n_positions\": 48, \"dtype\": \"float32\", \"opset\": 17}");
    OnnxModelInfo info = OnnxModelInfo.read(old);
    assertEquals("gpt2", info.modelType());
    assertEquals(4, info.nKvHeads());
    assertEquals(32, info.nEmbd());
    Files.writeString(old.resolve(OnnxModelInfo.FILE), "{\"format_version\": 1, \"n_layer\": 2, \"n_head\": 4, "
        + "\"n_kv_heads\": 3, \"head_dim\": 8, \"vocab_size\": 24, \"n_positions\": 48}");
    CheckpointException e = assertThrows(CheckpointException.class, () -> OnnxModelInfo.read(old));
    assertTrue(e.getMessage().contains("n_kv_heads"), e.getMessage());
  }
}
