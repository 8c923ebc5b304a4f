// The decoder-only language model as the rest of SeqMatch sees it: the trainer, the packer and
// losses (loss/head.*), the sampler and KV cache, checkpoints and the api facade use only this
// interface, never a family. GPT-2 (model/gpt2.h) and Llama/Qwen2 (model/llama.h) implement it;
// model/family.h creates one from a config. Positions and the attention mask are explicit inputs:
// the backspace packing of DESIGN.md §3 runs all states of a trajectory in one pass.
// Legend: B batch, T new tokens, C hidden size, V vocab.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "model/kv_cache.h"

namespace seqmatch {
namespace model {

// The shape of one family's KV cache: K = key/value heads (fewer than query heads under GQA;
// the cache stores them unrepeated).
struct KVShape {
  int64_t n_layer, n_kv_heads, head_dim;
};

class DecoderLMImpl : public torch::nn::Module {
 public:
  ~DecoderLMImpl() override = default;

  // "gpt2", "llama" or "qwen2": the config.json model_type, for messages and descriptions.
  virtual std::string family() const = 0;
  virtual int64_t vocab_size() const = 0;
  // The longest sequence (positions 0 .. max_positions()-1).
  virtual int64_t max_positions() const = 0;
  virtual int64_t hidden_size() const = 0;
  virtual KVShape kv_shape() const = 0;

  // Final hidden states (B, T, C). ids, pos: (B, T) int64; mask: (B, T, T) bool, true = query may
  // attend key (undefined = causal).
  virtual torch::Tensor hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                               const torch::Tensor& mask = {}) = 0;
  // Incremental forward over `cache`: the T new tokens of row b are written at slots
  // lengths[b] .. lengths[b]+T-1 and attend the row's earlier slots plus their own prefix.
  // n_valid[b] (host) of the T tokens are real; the row's length grows by that much. (B, T, C).
  virtual torch::Tensor hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos,
                                      KVCache& cache, const std::vector<int64_t>& n_valid) = 0;
  // The LM head's weight (V, C), tied or not: what the chunked head of loss/head.h multiplies.
  virtual torch::Tensor head_weight() = 0;
  // Appends n vocabulary rows set to the mean row, to the embedding and (if untied) the head.
  virtual void add_tokens(int64_t n) = 0;
  // The family's own initialisation.
  virtual void reset_parameters() = 0;

  // Names of parameter `name` in a checkpoint, preferred first (what saving writes).
  virtual std::vector<std::string> checkpoint_names(const std::string& name) const { return {name}; }
  // Whether a tensor of a checkpoint that matches no parameter carries no weights (a tied head,
  // old buffers) and can be skipped; errors if it contradicts the model (a tied head's shape).
  virtual bool ignorable_tensor(const std::string& name, const torch::Tensor& t) const = 0;

  // head_weight() for multiplying h: bf16/fp16 weights computing in float32 (CPU) are cast up;
  // float32 weights are returned as they are (autocast picks the matmul dtype). Differentiable.
  torch::Tensor head_weight_like(const torch::Tensor& h) {
    auto w = head_weight();
    return (w.scalar_type() == torch::kFloat || w.scalar_type() == h.scalar_type()) ? w : w.to(h.scalar_type());
  }
  // logits (B, T, V) = h · head_weightᵀ, in h's dtype.
  torch::Tensor lm_head(const torch::Tensor& h) { return torch::matmul(h, head_weight_like(h).t()); }
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& pos, const torch::Tensor& mask = {}) {
    return lm_head(hidden(ids, pos, mask));  // (B, T, V)
  }
  torch::Tensor forward_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                               const std::vector<int64_t>& n_valid) {
    return lm_head(hidden_cached(ids, pos, cache, n_valid));  // (B, T, V)
  }
  // A cache of `rows` rows × `capacity` slots with this model's shape, on its device, in the
  // dtype its attention computes in.
  std::unique_ptr<KVCache> make_cache(int64_t rows, int64_t capacity) {
    const auto s = kv_shape();
    return std::make_unique<KVCache>(rows, capacity, s.n_layer, s.n_kv_heads, s.head_dim,
                                     torch::TensorOptions().dtype(compute_dtype()).device(device()));
  }
  torch::Device device() { return head_weight().device(); }
  // The dtype activations are computed in: the weights' own, except bf16/fp16 weights on CPU,
  // which libtorch 1.13 has no fast kernels for: those compute in float32 (model/family.h logs it).
  torch::ScalarType compute_dtype() {
    auto w = head_weight();
    return (w.is_cpu() && w.scalar_type() != torch::kDouble) ? torch::kFloat : w.scalar_type();
  }
};
using DecoderLM = std::shared_ptr<DecoderLMImpl>;

}  // namespace model
}  // namespace seqmatch
