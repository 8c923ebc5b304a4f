/*
 * config.json <-> ModelConfig: the fixtures' Llama and Qwen2 configs read with their HF fields
 * (GQA, head_dim default, θ, tied/untied, biases), GPT-2 unchanged, a round trip through toJson, and
 * one-line errors naming the field for what SeqMatch would compute differently.
 */
package ai.seqmatch.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.seqmatch.CheckpointException;
import ai.seqmatch.Fixtures;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class HfConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void llamaFixture() {
    ModelConfig c = HfConfig.read(Fixtures.fixture("llama-tiny-a"));
    assertEquals(Family.LLAMA, c.family());
    assertEquals(512, c.vocabSize());
    assertEquals(64, c.nEmbd());
    assertEquals(4, c.nHead());
    assertEquals(2, c.nKvHeads());
    assertEquals(16, c.headDim(), "hidden / heads when head_dim is absent");
    assertEquals(160, c.intermediateSize());
    assertEquals(128, c.nPositions());
    assertEquals(1e-5, c.layerNormEpsilon());
    assertEquals(10000.0, c.ropeTheta());
    assertFalse(c.tieWordEmbeddings());
    assertFalse(c.qkvBias());
    assertEquals(1, c.bosTokenId());
    assertEquals(2, c.eosTokenId());
    assertEquals(c, HfConfig.parse(HfConfig.toJson(c), "round trip"));
  }

  @Test
  void qwen2Fixture() {
    ModelConfig c = HfConfig.read(Fixtures.fixture("qwen2-tiny"));
    assertEquals(Family.QWEN2, c.family());
    assertTrue(c.qkvBias());
    assertFalse(c.oBias());
    assertTrue(c.tieWordEmbeddings());
    assertEquals(1e6, c.ropeTheta());
    assertEquals(598, c.eosTokenId());
    assertEquals(c, HfConfig.parse(HfConfig.toJson(c), "round trip"));
  }

  @Test
  void gpt2Unchanged() {
    ModelConfig c = HfConfig.read(Fixtures.hfGpt2Tiny());
    assertEquals(Family.GPT2, c.family());
    assertEquals(c.nHead(), c.nKvHeads());
    assertEquals(4 * c.nEmbd(), c.intermediateSize());
    ModelConfig built = ModelConfig.builder(c.vocabSize()).optNPositions(c.nPositions()).optNEmbd(c.nEmbd())
        .optNLayer(c.nLayer()).optNHead(c.nHead()).optLayerNormEpsilon(c.layerNormEpsilon())
        .optBosTokenId(c.bosTokenId()).optEosTokenId(c.eosTokenId()).optPadTokenId(c.padTokenId()).build();
    assertEquals(built, c);
  }

  @Test
  void ropeScalingAndHeadDim() throws IOException {
    ObjectNode j = (ObjectNode) JSON.readTree(Fixtures.fixture("llama-tiny-a").resolve("config.json").toFile());
    j.put("head_dim", 32);
    j.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0).put("low_freq_factor", 1.0)
        .put("high_freq_factor", 4.0).put("original_max_position_embeddings", 64);
    ModelConfig c = HfConfig.parse(j, "test");
    assertEquals(32, c.headDim());
    assertEquals(RopeScaling.llama3(8, 1, 4, 64), c.ropeScaling());
    assertEquals(c, HfConfig.parse(HfConfig.toJson(c), "round trip"));
    j.putObject("rope_scaling").put("type", "linear").put("factor", 2.0); // the older key
    assertEquals(RopeScaling.linear(2), HfConfig.parse(j, "test").ropeScaling());
  }

  @Test
  void unsupportedFieldsAreNamed() throws IOException {
    String[][] cases = {{"hidden_act", "\"gelu\""}, {"mlp_bias", "true"}, {"use_sliding_window", "true"},
        {"rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}"}, {"num_key_value_heads", "3"},
        {"model_type", "\"mistral\""}, {"hidden_size", "0"}};
    for (String[] c : cases) {
      ObjectNode j = (ObjectNode) JSON.readTree(Fixtures.fixture("llama-tiny-a").resolve("config.json").toFile());
      j.set(c[0], JSON.readTree(c[1]));
      CheckpointException e = assertThrows(CheckpointException.class, () -> HfConfig.parse(j, "cfg.json"), c[0]);
      String m = e.getMessage();
      assertTrue(m.startsWith("checkpoint cfg.json: ") && !m.contains("\n"), m);
      String named = c[0].equals("num_key_value_heads") ? "num_key_value_heads" : c[0].equals("rope_scaling")
          ? "rope_scaling" : c[0];
      assertTrue(m.contains(named), m);
    }
  }
}
