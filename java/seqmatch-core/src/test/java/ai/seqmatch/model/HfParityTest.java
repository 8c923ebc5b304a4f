/*
 * Parity with Hugging Face GPT2LMHeadModel (fixtures/hf-gpt2-tiny, made with transformers 5.17):
 * logits on input_ids within 1e-4 absolute, and greedy decoding token-for-token.
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Fixtures;
import ai.seqmatch.io.SafeTensors;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class HfParityTest {
  // float32 end to end on both sides; 1e-4 covers accumulation-order differences between the
  // BLAS libtorch uses here and the one that made the fixture (observed max is printed below).
  private static final float LOGITS_ATOL = 1e-4f;

  @Test
  void logitsMatch() throws IOException {
    SafeTensors expected = SafeTensors.open(Fixtures.hfGpt2Tiny().resolve("expected.safetensors"));
    long[] inputIds = expected.longs("input_ids");
    float[] want = expected.floats("logits");
    long[] shape = expected.info("logits").shape();
    int B = (int) shape[0];
    int T = (int) shape[1];
    try (CausalLM hf = CausalLM.load(Fixtures.hfGpt2Tiny(), Device.cpu())) {
      assertEquals(shape[2], hf.config().vocabSize());
      float[] got = hf.forward(inputIds, B, T);
      assertEquals(want.length, got.length);
      float maxDiff = 0;
      int mismatches = 0;
      for (int i = 0; i < want.length; i++) {
        if (!Float.isFinite(want[i])) {
          continue; // masked reference entry
        }
        float diff = Math.abs(want[i] - got[i]);
        if (i < 5) {
          System.out.printf("logits[%d]: want %.6f got %.6f%n", i, want[i], got[i]);
        }
        if (diff > LOGITS_ATOL && ++mismatches <= 10) {
          System.out.printf("MISMATCH logits[%d]: want %.6f got %.6f%n", i, want[i], got[i]);
        }
        maxDiff = Math.max(maxDiff, diff);
      }
      System.out.println("logits max abs diff vs HF: " + maxDiff);
      assertTrue(maxDiff <= LOGITS_ATOL, "max abs diff " + maxDiff + " > " + LOGITS_ATOL);
    }
  }

  @Test
  void greedyMatches() throws IOException {
    SafeTensors expected = SafeTensors.open(Fixtures.hfGpt2Tiny().resolve("expected.safetensors"));
    long[] prompt = expected.longs("prompt_ids");
    long[] want = expected.longs("greedy_ids");
    int rows = (int) expected.info("prompt_ids").shape()[0];
    int promptLen = (int) expected.info("prompt_ids").shape()[1];
    int total = (int) expected.info("greedy_ids").shape()[1];
    try (CausalLM hf = CausalLM.load(Fixtures.hfGpt2Tiny(), Device.cpu())) {
      long[] got = Greedy.decode(hf, prompt, rows, promptLen, total - promptLen);
      assertArrayEquals(want, got);
    }
  }
}
