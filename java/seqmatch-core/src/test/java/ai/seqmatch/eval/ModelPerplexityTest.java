/* Reference NLL: the formula on hand-made logits, and windows that predict every token once. */
package ai.seqmatch.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.seqmatch.Device;
import ai.seqmatch.model.Gpt2Model;
import ai.seqmatch.model.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelPerplexityTest {
  @Test
  void nllLeavesBackspaceOut() {
    float[] logits = {0f, (float) Math.log(3), 100f}; // id 2 is <bkspc>: p = (1/4, 3/4) over ids 0, 1
    assertEquals(Math.log(4), ModelPerplexity.nll(logits, 0, 3, 2, 0), 1e-6);
    assertEquals(Math.log(4.0 / 3), ModelPerplexity.nll(logits, 0, 3, 2, 1), 1e-6);
    assertEquals(Math.log(1 + 3 + Math.exp(100)) - 0.0, ModelPerplexity.nll(logits, 0, 3, -1, 0), 1e-4);
  }

  @Test
  void shortDocumentMatchesOneForwardAndLongOnesAreWindowed() {
    ModelConfig config = ModelConfig.builder(16).optNPositions(8).optNEmbd(16).optNLayer(1).optNHead(2)
        .optEosTokenId(13).optPadTokenId(14).optBkspcTokenId(15).build();
    try (Gpt2Model model = Gpt2Model.create(config, 2, Device.cpu())) {
      long[] doc = {1, 2, 3, 4, 5};
      long[] ids = {13, 1, 2, 3, 4, 5};
      float[] logits = model.forward(ids, 1, ids.length);
      double expected = 0;
      for (int t = 0; t < 5; t++) {
        expected += ModelPerplexity.nll(logits, t * 16, 16, 15, ids[t + 1]);
      }
      ModelPerplexity.Result r = ModelPerplexity.evaluate(model, List.of(doc), 1000);
      assertEquals(5, r.tokens());
      assertEquals(expected, r.nllSum(), 1e-4);
      assertEquals(Math.exp(expected / 5), r.perplexity(), 1e-3);

      long[] longDoc = new long[40]; // windows of 8 overlapping by 1: 40 tokens predicted in 6 forwards
      for (int i = 0; i < longDoc.length; i++) {
        longDoc[i] = i % 13;
      }
      assertEquals(40, ModelPerplexity.evaluate(model, List.of(longDoc), 1000).tokens());
      assertEquals(17, ModelPerplexity.evaluate(model, List.of(longDoc, doc), 17).tokens());
      // The prefix of a capped run is the same computation as the uncapped one.
      assertEquals(ModelPerplexity.evaluate(model, List.of(doc), 1000).nllSum(),
          ModelPerplexity.evaluate(model, List.of(doc, longDoc), 5).nllSum(), 1e-9);
    }
  }
}
