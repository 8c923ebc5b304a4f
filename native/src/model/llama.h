// Llama-family decoder (Touvron et al. 2023; Qwen2 is the same graph with q/k/v biases):
// pre-RMSNorm blocks, rotary positions from explicit position ids (rope.h), grouped-query
// attention (num_key_value_heads ≤ num_attention_heads, the KV cache holds the K heads
// unrepeated), SwiGLU MLP, tied or untied LM head. Modules are registered so named_parameters()
// are exactly HF LlamaForCausalLM / Qwen2ForCausalLM keys ("model.embed_tokens.weight",
// "model.layers.0.self_attn.q_proj.weight", ..., "model.norm.weight", "lm_head.weight"), and every
// linear layer is a Projection (nn.Linear layout) so LoRA attaches by module name.
// One implementation of DecoderLMImpl (decoder_lm.h). Test: ctest -R test_llama
// Legend: B batch, T new tokens, S key slots, C hidden_size, H heads, K kv heads, D head_dim, V vocab.
#pragma once

#include <torch/torch.h>

#include <string>

#include "model/attention.h"
#include "model/decoder_lm.h"
#include "model/projection.h"
#include "model/rms_norm.h"
#include "model/rope.h"

namespace seqmatch {
namespace model {

// HF LlamaConfig / Qwen2Config field names and defaults (those of LlamaConfig).
struct LlamaOptions {
  std::string model_type = "llama";  // "llama" or "qwen2" (q/k/v biases, no attention_bias field)
  int64_t vocab_size = 32000;
  int64_t max_position_embeddings = 2048;
  int64_t hidden_size = 4096;              // C
  int64_t intermediate_size = 11008;       // SwiGLU width
  int64_t num_hidden_layers = 32;
  int64_t num_attention_heads = 32;        // H
  int64_t num_key_value_heads = 32;        // K; H % K == 0
  int64_t head_dim = 0;                    // D; 0 = hidden_size / num_attention_heads
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool attention_bias = false;             // q, k, v and o biases (Llama); Qwen2: q, k, v always
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  double initializer_range = 0.02;

  int64_t head_dim_or_default() const { return head_dim > 0 ? head_dim : hidden_size / num_attention_heads; }
  bool qkv_bias() const { return attention_bias || model_type == "qwen2"; }
  bool o_bias() const { return attention_bias && model_type != "qwen2"; }
};

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const LlamaOptions& o);
  // x: (B, T, C); cos/sin: (B, 1, T, D); bias: (B, 1, T, S) or undefined (causal).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias, LayerCache* cache, const CachedStep* step);
  Projection q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t n_head, n_kv_head, head_dim;
};
TORCH_MODULE(LlamaAttention);

class LlamaMLPImpl : public torch::nn::Module {
 public:
  explicit LlamaMLPImpl(const LlamaOptions& o);
  torch::Tensor forward(const torch::Tensor& x);  // down(silu(gate(x)) ⊙ up(x))
  Projection gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMLP);

class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit LlamaDecoderLayerImpl(const LlamaOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias, LayerCache* cache, const CachedStep* step);
  LlamaAttention self_attn{nullptr};
  LlamaMLP mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

// HF's LlamaModel: the part under "model." (embeddings, layers, final norm).
class LlamaModelImpl : public torch::nn::Module {
 public:
  explicit LlamaModelImpl(const LlamaOptions& o);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
};
TORCH_MODULE(LlamaModel);

class LlamaImpl : public DecoderLMImpl {
 public:
  explicit LlamaImpl(const LlamaOptions& o);

  std::string family() const override { return options_.model_type; }
  int64_t vocab_size() const override { return options_.vocab_size; }
  int64_t max_positions() const override { return options_.max_position_embeddings; }
  int64_t hidden_size() const override { return options_.hidden_size; }
  KVShape kv_shape() const override {
    return {options_.num_hidden_layers, options_.num_key_value_heads, options_.head_dim_or_default()};
  }
  torch::Tensor hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                       const torch::Tensor& mask = {}) override;
  torch::Tensor hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                              const std::vector<int64_t>& n_valid) override;
  torch::Tensor head_weight() override {
    return options_.tie_word_embeddings ? model->embed_tokens->weight : lm_head_proj->weight;
  }
  // HF's init: N(0, initializer_range) for every matrix, zero biases, unit RMSNorm gains.
  void reset_parameters() override;
  // New rows = the mean row, in the embedding and (untied) in lm_head alike.
  void add_tokens(int64_t n) override;
  bool ignorable_tensor(const std::string& name, const torch::Tensor& t) const override;

  const LlamaOptions& options() const { return options_; }

  LlamaModel model{nullptr};
  Projection lm_head_proj{nullptr};  // registered as "lm_head"; absent when tied

 private:
  torch::Tensor run_layers(const torch::Tensor& ids, const torch::Tensor& pos, const torch::Tensor& bias,
                           KVCache* cache, const CachedStep* step);
  LlamaOptions options_;
  torch::Tensor inv_freq_;  // (D/2) float32, a constant (not a parameter, not saved)
};
TORCH_MODULE(Llama);

}  // namespace model
}  // namespace seqmatch
