/*
 * ModelConfig <-> the native core. GPT-2 goes through the ModelSpec struct as it always has; the Llama
 * family through its config.json text (model_create_from_config / model_config_json), since ModelSpec
 * only has GPT-2's fields.
 */
package ai.seqmatch.model;

import ai.seqmatch.NativeErrors;
import ai.seqmatch.nativ.SeqmatchNative;
import ai.seqmatch.nativ.SeqmatchNative.Model;
import ai.seqmatch.nativ.SeqmatchNative.ModelSpec;

final class Specs {
  private Specs() {}

  /** A fresh native model of {@code c}'s family, seeded by {@code seed}, on {@code device}. */
  static Model create(ModelConfig c, long seed, String device) {
    if (c.family() != Family.GPT2) {
      String json = HfConfig.toJson(c).toString();
      return NativeErrors.call(() -> SeqmatchNative.model_create_from_config(json, seed, device));
    }
    try (ModelSpec spec = toNative(c)) {
      return NativeErrors.call(() -> SeqmatchNative.model_create(spec, seed, device));
    }
  }

  /** The config of a live native model. */
  static ModelConfig read(Model h) {
    String json = NativeErrors.call(() -> SeqmatchNative.model_config_json(h));
    ModelConfig fromJson = HfConfig.parse(parse(json), "of the native model");
    if (fromJson.family() != Family.GPT2) {
      return fromJson;
    }
    try (ModelSpec spec = NativeErrors.call(() -> SeqmatchNative.model_spec(h))) {
      return fromNative(spec);
    }
  }

  private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    } catch (java.io.IOException e) {
      throw new IllegalStateException("native model_config_json returned invalid JSON", e);
    }
  }

  /** A native ModelSpec the caller must close. */
  static ModelSpec toNative(ModelConfig c) {
    ModelSpec s = new ModelSpec();
    s.vocab_size(c.vocabSize())
        .n_positions(c.nPositions())
        .n_embd(c.nEmbd())
        .n_layer(c.nLayer())
        .n_head(c.nHead())
        .layer_norm_epsilon(c.layerNormEpsilon())
        .bos_token_id(c.bosTokenId())
        .eos_token_id(c.eosTokenId())
        .pad_token_id(c.padTokenId())
        .bkspc_token_id(c.bkspcTokenId());
    return s;
  }

  static ModelConfig fromNative(ModelSpec s) {
    return ModelConfig.builder(s.vocab_size())
        .optNPositions(s.n_positions())
        .optNEmbd(s.n_embd())
        .optNLayer(s.n_layer())
        .optNHead(s.n_head())
        .optLayerNormEpsilon(s.layer_norm_epsilon())
        .optBosTokenId(s.bos_token_id())
        .optEosTokenId(s.eos_token_id())
        .optPadTokenId(s.pad_token_id())
        .optBkspcTokenId(s.bkspc_token_id())
        .build();
  }
}
