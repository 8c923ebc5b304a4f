/*
 * Fuzz target: ModelConfig's validation, the Java side of config.json's model fields. Every combination
 * either builds a config whose invariants hold (positive sizes, n_embd divisible by n_head, special ids
 * inside the vocabulary or -1) or fails with one IllegalArgumentException line naming the fields.
 */
package ai.seqmatch.model;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;

@Tag("fuzz")
class ModelConfigFuzzTest {
  @FuzzTest(maxExecutions = 20000, maxDuration = "60s")
  void build(FuzzedDataProvider in) {
    ModelConfig c;
    try {
      c = ModelConfig.builder(in.consumeLong()).optNPositions(in.consumeLong()).optNEmbd(in.consumeLong())
          .optNLayer(in.consumeLong()).optNHead(in.consumeLong()).optLayerNormEpsilon(in.consumeDouble())
          .optBosTokenId(in.consumeLong()).optEosTokenId(in.consumeLong()).optPadTokenId(in.consumeLong())
          .optBkspcTokenId(in.consumeLong()).build();
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || e.getMessage().contains("\n") || !e.getMessage().startsWith("invalid model config: ")) {
        throw new AssertionError("not a one-line config error: " + e.getMessage(), e);
      }
      return;
    }
    boolean ok = c.vocabSize() > 0 && c.nPositions() > 0 && c.nEmbd() > 0 && c.nLayer() > 0 && c.nHead() > 0
        && c.nEmbd() % c.nHead() == 0 && c.layerNormEpsilon() > 0 && Double.isFinite(c.layerNormEpsilon());
    for (long id : new long[] {c.bosTokenId(), c.eosTokenId(), c.padTokenId(), c.bkspcTokenId()}) {
      ok &= id == ModelConfig.NO_TOKEN || (id >= 0 && id < c.vocabSize());
    }
    if (!ok) {
      throw new AssertionError("ModelConfig built with broken invariants: " + c);
    }
  }
}
