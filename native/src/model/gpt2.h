// GPT-2 decoder (Radford et al. 2019) in the PyTorch C++ frontend idiom, nanoGPT-sized.
// Learned positions, pre-LayerNorm blocks, tanh-GELU, LM head tied to wte. Modules are
// registered under Hugging Face GPT2Model names (wte, wpe, h.N.attn.c_attn, ...), and the
// Conv1D weights keep HF's [in, out] layout, so checkpoints map 1:1 with no transposes.
// One implementation of DecoderLMImpl (decoder_lm.h). Test: ctest -R test_gpt2_parity
// Legend: B batch, T new tokens, S key slots (cache), C n_embd, H heads, D = C/H, V vocab.
#pragma once

#include <torch/torch.h>

#include <optional>

#include "model/attention.h"
#include "model/decoder_lm.h"
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
                        const CachedStep* step);
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
                        const CachedStep* step);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Attention attn{nullptr};
  MLP mlp{nullptr};
};
TORCH_MODULE(Block);

class GPT2Impl : public DecoderLMImpl {
 public:
  explicit GPT2Impl(const GPT2Options& o);

  std::string family() const override { return "gpt2"; }
  int64_t vocab_size() const override { return options_.vocab_size(); }
  int64_t max_positions() const override { return options_.n_positions(); }
  int64_t hidden_size() const override { return options_.n_embd(); }
  KVShape kv_shape() const override {
    return {options_.n_layer(), options_.n_head(), options_.n_embd() / options_.n_head()};
  }
  torch::Tensor hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                       const torch::Tensor& mask = {}) override;
  torch::Tensor hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                              const std::vector<int64_t>& n_valid) override;
  torch::Tensor head_weight() override { return wte->weight; }  // tied to wte
  // GPT-2 init: N(0, 0.02), residual projections N(0, 0.02/sqrt(2·n_layer)), zero biases.
  void reset_parameters() override;
  // Appends n vocabulary rows set to the mean embedding (new tokens start "average").
  void add_tokens(int64_t n) override;
  // HF GPT2LMHeadModel names: "transformer." + ours; HF's bare GPT2Model files lack the prefix.
  std::vector<std::string> checkpoint_names(const std::string& name) const override {
    return {"transformer." + name, name};
  }
  bool ignorable_tensor(const std::string& name, const torch::Tensor& t) const override;

  const GPT2Options& options() const { return options_; }

  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};

 private:
  torch::Tensor run_blocks(torch::Tensor x, const torch::Tensor& bias, KVCache* cache,
                           const CachedStep* step);
  GPT2Options options_;
};
TORCH_MODULE(GPT2);

}  // namespace model
}  // namespace seqmatch
