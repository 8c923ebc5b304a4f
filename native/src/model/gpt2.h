// GPT-2 decoder (Radford et al. 2019) in the PyTorch C++ frontend idiom, nanoGPT-sized.
// Learned positions, pre-LayerNorm blocks, tanh-GELU, LM head tied to wte. Modules are
// registered under Hugging Face GPT2Model names (wte, wpe, h.N.attn.c_attn, ...), and the
// Conv1D weights keep HF's [in, out] layout, so checkpoints map 1:1 with no transposes.
// Positions and the attention mask are explicit inputs: the backspace packing of DESIGN.md §3
// runs all states of a trajectory in one pass. Test: ctest -R test_gpt2_parity
// Legend: B batch, T new tokens, S key slots (cache), C n_embd, H heads, D = C/H, V vocab.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "model/kv_cache.h"
#include "model/projection.h"

namespace seqmatch {
namespace model {

struct GPT2Options {
  TORCH_ARG(int64_t, vocab_size) = 50257;  // wte rows, special tokens included
  TORCH_ARG(int64_t, n_positions) = 1024;  // wpe rows: longest sequence
  TORCH_ARG(int64_t, n_embd) = 768;        // C
  TORCH_ARG(int64_t, n_layer) = 12;        // blocks
  TORCH_ARG(int64_t, n_head) = 12;         // H; C % H == 0
  TORCH_ARG(double, layer_norm_epsilon) = 1e-5;
};

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const GPT2Options& o);
  // x: (B, T, C); bias: (B, 1, T, S) additive mask; cache: this layer's slots or nullptr.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias, LayerCache* cache,
                        const torch::Tensor& write_slots);
  Projection c_attn{nullptr}, c_proj{nullptr};  // HF Conv1D layout
  int64_t n_head;
};
TORCH_MODULE(Attention);

class MLPImpl : public torch::nn::Module {
 public:
  explicit MLPImpl(const GPT2Options& o);
  torch::Tensor forward(const torch::Tensor& x);
  Projection c_fc{nullptr}, c_proj{nullptr};  // HF Conv1D layout
};
TORCH_MODULE(MLP);

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const GPT2Options& o);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& bias, LayerCache* cache,
                        const torch::Tensor& write_slots);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Attention attn{nullptr};
  MLP mlp{nullptr};
};
TORCH_MODULE(Block);

class GPT2Impl : public torch::nn::Module {
 public:
  explicit GPT2Impl(const GPT2Options& o);

  // Full forward. ids, pos: (B, T) int64; mask: (B, T, T) bool, true = query may attend key
  // (undefined = causal). Returns logits (B, T, V).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& pos,
                        const torch::Tensor& mask = {});

  // Incremental forward over `cache`: the T new tokens of row b are written at slots
  // lengths[b] .. lengths[b]+T-1 and attend the row's earlier slots plus their own prefix.
  // n_valid[b] (host) of the T tokens are real; the row's length grows by that much.
  torch::Tensor forward_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                               const std::vector<int64_t>& n_valid);
  // forward_cached before the LM head: (B, T, C). The sampler applies lm_head only where it
  // needs logits (the last real token of each row), not over a whole prompt.
  torch::Tensor hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                              const std::vector<int64_t>& n_valid);

  // Final hidden states (B, T, C) for the same inputs as forward(): losses that need the
  // representation (e.g. EMO) reuse it.
  torch::Tensor hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                       const torch::Tensor& mask = {});
  torch::Tensor lm_head(const torch::Tensor& h) { return torch::matmul(h, wte->weight.t()); }

  // GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2·n_layer)), zero biases.
  void reset_parameters();
  // Appends n vocabulary rows set to the mean embedding (new tokens start "average").
  void add_tokens(int64_t n);

  const GPT2Options& options() const { return options_; }

  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};

 private:
  torch::Tensor run_blocks(torch::Tensor x, const torch::Tensor& bias, KVCache* cache,
                           const torch::Tensor& write_slots);
  GPT2Options options_;
};
TORCH_MODULE(GPT2);

// Additive attention bias (B, 1, T, S) from a boolean mask (B, T, S). Masked entries get the
// dtype's lowest finite value instead of -inf, so a row that sees no key (padding) yields a
// uniform softmax rather than NaN.
torch::Tensor attention_bias(const torch::Tensor& mask, torch::ScalarType dtype);

}  // namespace model
}  // namespace seqmatch
