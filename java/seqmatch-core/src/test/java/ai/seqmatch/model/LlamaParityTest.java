/*
 * Parity of the Llama family through Java (CausalLM on the native core) with transformers'
 * LlamaForCausalLM / Qwen2ForCausalLM: fixtures llama-tiny-a (GQA 4/2, untied) and qwen2-tiny (q/k/v
 * biases, tied, θ 1e6) give their logits within 1e-4 and their 20 greedy new tokens exactly; the KV-cache
 * path continues a prefix to the same logits; create() from the loaded config round-trips the family.
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Fixtures;
import ai.seqmatch.io.SafeTensors;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LlamaParityTest {
  private static final float ATOL = 1e-4f; // the fixtures' tolerance, float32 on both sides

  private static float maxDiff(float[] want, float[] got) {
    assertEquals(want.length, got.length);
    float max = 0;
    for (int i = 0; i < want.length; i++) {
      max = Math.max(max, Math.abs(want[i] - got[i]));
    }
    return max;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void logitsMatchTransformers(String fixture) throws IOException {
    SafeTensors expected = SafeTensors.open(Fixtures.fixture(fixture).resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    try (CausalLM m = CausalLM.load(Fixtures.fixture(fixture), Device.cpu())) {
      assertEquals(HfConfig.read(Fixtures.fixture(fixture)), m.config(), "config read back from the native core");
      float[] got = m.forward(expected.longs("input_ids"), (int) shape[0], (int) shape[1]);
      float d = maxDiff(expected.floats("logits"), got);
      System.out.println(fixture + " logits max abs diff vs transformers: " + d);
      assertTrue(d <= ATOL, "max abs diff " + d);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void greedyMatchesTransformers(String fixture) throws IOException {
    SafeTensors expected = SafeTensors.open(Fixtures.fixture(fixture).resolve("expected.safetensors"));
    long[] prompt = expected.longs("prompt_ids");
    long[] want = expected.longs("greedy_ids"); // [rows, 20]: the new tokens only
    int rows = (int) expected.info("prompt_ids").shape()[0];
    int p = (int) expected.info("prompt_ids").shape()[1];
    int n = (int) expected.info("greedy_ids").shape()[1];
    try (CausalLM m = CausalLM.load(Fixtures.fixture(fixture), Device.cpu())) {
      long[] got = Greedy.decode(m, prompt, rows, p, n);
      for (int b = 0; b < rows; b++) {
        assertArrayEquals(Arrays.copyOfRange(want, b * n, (b + 1) * n),
            Arrays.copyOfRange(got, b * (p + n) + p, (b + 1) * (p + n)), "row " + b);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void cachedContinuationMatchesFullForward(String fixture) throws IOException {
    SafeTensors expected = SafeTensors.open(Fixtures.fixture(fixture).resolve("expected.safetensors"));
    long[] shape = expected.info("logits").shape();
    int B = (int) shape[0];
    int S = (int) shape[1];
    int V = (int) shape[2];
    int P = 5;
    int T = S - P;
    long[] ids = expected.longs("input_ids");
    float[] full = expected.floats("logits");
    long[] prefix = new long[B * P];
    long[] prefixPos = new long[B * P];
    long[] rest = new long[B * T];
    long[] restPos = new long[B * T];
    float[] want = new float[B * T * V];
    for (int b = 0; b < B; b++) {
      for (int t = 0; t < S; t++) {
        if (t < P) {
          prefix[b * P + t] = ids[b * S + t];
          prefixPos[b * P + t] = t;
        } else {
          rest[b * T + t - P] = ids[b * S + t];
          restPos[b * T + t - P] = t;
        }
      }
      System.arraycopy(full, (b * S + P) * V, want, b * T * V, T * V);
    }
    try (CausalLM m = CausalLM.load(Fixtures.fixture(fixture), Device.cpu());
        KvCache cache = m.newCache(B, S)) {
      m.forwardCached(cache, prefix, prefixPos, null, B, P);
      float[] got = m.forwardCached(cache, rest, restPos, null, B, T);
      float d = maxDiff(want, got);
      assertTrue(d <= ATOL, "max abs diff " + d);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-tiny-a", "qwen2-tiny"})
  void createKeepsTheFamily(String fixture) {
    ModelConfig c = HfConfig.read(Fixtures.fixture(fixture));
    try (CausalLM m = CausalLM.create(c, 7, Device.cpu())) {
      assertEquals(c, m.config());
      assertEquals(c.vocabSize() * 7, m.forward(new long[] {1, 2, 3, 4, 5, 6, 7}, 1, 7).length);
    }
  }
}
