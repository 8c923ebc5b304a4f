/* ModelConfig's builder: GPT-2 defaults, and every problem reported in one exception. */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelConfigTest {
  @Test
  void defaultsAreGpt2Small() {
    ModelConfig c = ModelConfig.builder(50257).build();
    assertEquals(1024, c.nPositions());
    assertEquals(768, c.nEmbd());
    assertEquals(12, c.nLayer());
    assertEquals(ModelConfig.NO_TOKEN, c.bkspcTokenId());
    assertEquals(c, c.toBuilder().build());
  }

  @Test
  void listsAllProblems() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ModelConfig.builder(0).optNEmbd(10).optNHead(3).optLayerNormEpsilon(0).optBkspcTokenId(5).build());
    String m = e.getMessage();
    assertTrue(m.contains("vocab_size"), m);
    assertTrue(m.contains("divisible"), m);
    assertTrue(m.contains("layer_norm_epsilon"), m);
    assertTrue(m.contains("bkspc_token_id"), m);
    assertTrue(!m.contains("\n"), m);
  }
}
