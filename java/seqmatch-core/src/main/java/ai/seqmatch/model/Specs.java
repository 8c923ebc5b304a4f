/* Conversions between ModelConfig and the native ModelSpec struct. */
package ai.seqmatch.model;

import ai.seqmatch.nativ.SeqmatchNative.ModelSpec;

final class Specs {
  private Specs() {}

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
