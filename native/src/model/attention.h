// Scaled dot-product attention shared by every decoder family: the additive mask, the
// (SDPA or explicit) softmax attention, and the per-row KV-cache write + read that the
// backspace-aware decoder relies on. Families only project q, k, v and place positions.
// Test: ctest -R test_kv_cache
// Legend: B batch, T new tokens, S key slots (cache), H query heads, K key/value heads, D head dim.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/kv_cache.h"

namespace seqmatch {
namespace model {

// Additive attention bias (B, 1, T, S) from a boolean mask (B, T, S). Masked entries get the
// dtype's lowest finite value instead of -inf, so a row that sees no key (padding) yields a
// uniform softmax rather than NaN.
torch::Tensor attention_bias(const torch::Tensor& mask, torch::ScalarType dtype);

// softmax(q·kᵀ/√D + bias)·v. q: (B, H, T, D); k, v: (B, K, S, D) with H % K == 0 (grouped-query
// attention: query head h reads key/value head h / (H/K), as HF's repeat_kv). bias undefined =
// plain causal attention (T == S). Returns (B, H, T, D).
torch::Tensor attend(const torch::Tensor& q, torch::Tensor k, torch::Tensor v, torch::Tensor bias);

// Where a cached forward writes and what it may read: computed once per forward, shared by layers.
struct CachedStep {
  torch::Tensor write_slots;  // (B, T): slot of each new token in its row
  torch::Tensor bias;         // (B, 1, T, S): new token i of row b sees slots <= its own
};
// Checks the batch against the cache (rows, n_valid, capacity); `who` names the model in errors.
CachedStep cached_step(const torch::Tensor& ids, const KVCache& cache,
                       const std::vector<int64_t>& n_valid, torch::ScalarType dtype, const char* who);

// Writes this layer's new k, v (B, K, T, D) at the step's slots and returns the live prefix of
// the cache (B, K, S, D) each, in q's dtype.
std::pair<torch::Tensor, torch::Tensor> cache_write_read(LayerCache& cache, const CachedStep& step,
                                                         const torch::Tensor& k, const torch::Tensor& v,
                                                         torch::ScalarType dtype);

}  // namespace model
}  // namespace seqmatch
