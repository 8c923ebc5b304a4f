/*
 * The Java <-> native bridge: create, forward (array and direct buffer), KV-cached decoding matching
 * a full forward, special tokens, and owner semantics (idempotent close, use-after-close).
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.Device;
import ai.seqmatch.Fixtures;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class Gpt2ModelTest {
  private static final int B = 2;
  private static final int T = 5;

  private static long[] ids(long vocab) {
    long[] ids = new long[B * T];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (7L * i + 3) % vocab;
    }
    return ids;
  }

  @Test
  void createForwardClose() {
    ModelConfig config = Fixtures.tinyConfig();
    try (CausalLM model = CausalLM.create(config, 1234, Device.cpu())) {
      assertEquals(config, model.config());
      assertEquals(Device.cpu(), model.device());
      assertTrue(model.numParameters() > 0);
      float[] logits = model.forward(ids(config.vocabSize()), B, T);
      assertEquals(B * T * config.vocabSize(), logits.length);
      for (float v : logits) {
        assertTrue(Float.isFinite(v));
      }
      FloatBuffer out = ByteBuffer.allocateDirect(logits.length * 4 + 8).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
      out.position(2); // the native write starts at the buffer's position
      model.forward(ids(config.vocabSize()), null, null, B, T, out);
      float[] fromBuffer = new float[logits.length];
      out.get(fromBuffer);
      assertArrayEquals(logits, fromBuffer);
    }
  }

  @Test
  void sameSeedSameWeights() {
    try (CausalLM a = CausalLM.create(Fixtures.tinyConfig(), 7, Device.cpu());
        CausalLM b = CausalLM.create(Fixtures.tinyConfig(), 7, Device.cpu())) {
      long[] x = ids(32);
      assertArrayEquals(a.forward(x, B, T), b.forward(x, B, T));
    }
  }

  @Test
  void cachedDecodingMatchesFullForward() {
    ModelConfig config = Fixtures.tinyConfig();
    long vocab = config.vocabSize();
    long[] x = ids(vocab);
    try (CausalLM model = CausalLM.create(config, 99, Device.cpu());
        KvCache cache = model.newCache(B, T)) {
      float[] full = model.forward(x, B, T);
      for (int t = 0; t < T; t++) { // one token per row per step
        long[] step = {x[t], x[T + t]};
        float[] got = model.forwardCached(cache, step, new long[] {t, t}, null, B, 1);
        for (int b = 0; b < B; b++) {
          for (int v = 0; v < vocab; v++) {
            float want = full[(int) ((b * T + t) * vocab + v)];
            assertEquals(want, got[(int) (b * vocab + v)], 1e-4f, "row " + b + " step " + t + " vocab " + v);
          }
        }
      }
      assertArrayEquals(new long[] {T, T}, cache.lengths());
      cache.truncate(1, 2);
      assertArrayEquals(new long[] {T, 2}, cache.lengths());
    }
  }

  @Test
  void addTokensAndSpecialTokensUpdateConfig() {
    try (CausalLM model = CausalLM.create(Fixtures.tinyConfig(), 1, Device.cpu())) {
      long first = model.addTokens(2);
      assertEquals(32, first);
      assertEquals(34, model.config().vocabSize());
      model.setSpecialTokens(0, 1, ModelConfig.NO_TOKEN, 33);
      assertEquals(33, model.config().bkspcTokenId());
      assertEquals(1, model.config().eosTokenId());
      assertThrows(IllegalArgumentException.class, () -> model.setSpecialTokens(0, 1, -1, 34));
    }
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseThrows() {
    CausalLM model = CausalLM.create(Fixtures.tinyConfig(), 1, Device.cpu());
    KvCache cache = model.newCache(1, 4);
    model.close();
    model.close();
    cache.close(); // already freed by its owner: a no-op
    assertThrows(IllegalStateException.class, () -> model.forward(ids(32), B, T));
    assertThrows(IllegalStateException.class, model::config);
    assertThrows(IllegalStateException.class, model::numParameters);
    assertThrows(IllegalStateException.class, () -> model.newCache(1, 4));
    assertThrows(IllegalStateException.class, cache::lengths);
  }

  @Test
  void closedCacheThrows() {
    try (CausalLM model = CausalLM.create(Fixtures.tinyConfig(), 1, Device.cpu())) {
      KvCache cache = model.newCache(1, 4);
      cache.close();
      cache.close();
      assertThrows(IllegalStateException.class, cache::lengths);
      assertThrows(IllegalStateException.class,
          () -> model.forwardCached(cache, new long[] {1}, new long[] {0}, null, 1, 1));
    }
  }
}
