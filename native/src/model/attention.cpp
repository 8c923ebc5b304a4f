// Attention shared by the decoder families: see attention.h.
#include "model/attention.h"

#include <torch/version.h>  // provides: TORCH_VERSION_MAJOR

#include <cmath>
#include <limits>

#include "util/check.h"

namespace seqmatch {
namespace model {

using torch::indexing::Slice;

static double lowest_finite(torch::ScalarType dtype) {
  switch (dtype) {
    case torch::kHalf: return static_cast<double>(std::numeric_limits<c10::Half>::lowest());
    case torch::kBFloat16: return static_cast<double>(std::numeric_limits<c10::BFloat16>::lowest());
    case torch::kDouble: return std::numeric_limits<double>::lowest();
    default: return static_cast<double>(std::numeric_limits<float>::lowest());
  }
}

torch::Tensor attention_bias(const torch::Tensor& mask, torch::ScalarType dtype) {
  auto bias = torch::zeros(mask.sizes(), mask.options().dtype(dtype));  // (B, T, S)
  bias.masked_fill_(mask.logical_not(), lowest_finite(dtype));
  return bias.unsqueeze(1);                                              // (B, 1, T, S)
}

// Each key/value head serves H/K query heads: expand (no copy) then merge into H heads.
static torch::Tensor repeat_kv(const torch::Tensor& x, int64_t H) {  // (B, K, S, D) -> (B, H, S, D)
  const auto B = x.size(0), K = x.size(1), S = x.size(2), D = x.size(3);
  if (K == H) return x;
  return x.unsqueeze(2).expand({B, K, H / K, S, D}).reshape({B, H, S, D});
}

// bias undefined lets SDPA pick its flash/efficient kernels. libtorch 1.13 has no SDPA:
// explicit matmul+softmax.
torch::Tensor attend(const torch::Tensor& q, torch::Tensor k, torch::Tensor v, torch::Tensor bias) {
  SM_CHECK(q.size(1) % k.size(1) == 0, "attention: ", q.size(1), " query heads is not a multiple of ",
           k.size(1), " key/value heads");
  k = repeat_kv(k, q.size(1));  // (B, H, S, D)
  v = repeat_kv(v, q.size(1));  // (B, H, S, D)
  if (bias.defined() && bias.scalar_type() != q.scalar_type()) {
    // Under autocast q may be bf16/fp16: re-clamp so masked entries stay finite in that dtype.
    bias = bias.clamp_min(lowest_finite(q.scalar_type())).to(q.scalar_type());
  }
#if TORCH_VERSION_MAJOR >= 2
  if (!bias.defined()) return at::scaled_dot_product_attention(q, k, v, {}, 0.0, true);
  return at::scaled_dot_product_attention(q, k, v, bias);  // (B, H, T, D)
#else
  auto T = q.size(2), S = k.size(2);
  if (!bias.defined()) {
    auto causal = torch::ones({T, S}, q.options().dtype(torch::kBool)).tril();  // (T, S)
    bias = attention_bias(causal.unsqueeze(0), q.scalar_type());                // (1, 1, T, S)
  }
  // Scale q (B·H·T·D values) rather than the scores (B·H·T·S), and add the bias in place: two
  // fewer passes over the (B, H, T, S) scores and one fewer of them alive for the backward.
  auto att = torch::matmul(q * (1.0 / std::sqrt(double(q.size(-1)))), k.transpose(-2, -1));
  att.add_(bias);
  att = torch::softmax(att, -1);  // (B, H, T, S)
  return torch::matmul(att, v);   // (B, H, T, D)
#endif
}

CachedStep cached_step(const torch::Tensor& ids, const KVCache& cache,
                       const std::vector<int64_t>& n_valid, torch::ScalarType dtype, const char* who) {
  const auto B = ids.size(0), T = ids.size(1);
  SM_CHECK(B == cache.rows(), who, ": batch has ", B, " rows but the cache has ", cache.rows());
  SM_CHECK(static_cast<int64_t>(n_valid.size()) == B, who, ": n_valid needs one entry per row");
  SM_CHECK(cache.max_length() + T <= cache.capacity(), "kv cache: full (longest row ",
           cache.max_length(), " + ", T, " new > capacity ", cache.capacity(),
           "). Hint: create the cache with a larger capacity");
  auto dev = ids.device();
  auto lengths = torch::tensor(cache.lengths(), torch::kLong).to(dev);                     // (B)
  auto write_slots = lengths.unsqueeze(1) + torch::arange(T, ids.options()).unsqueeze(0);  // (B, T)
  const auto S = cache.max_length() + T;
  auto slots = torch::arange(S, ids.options()).view({1, 1, S});  // (1, 1, S)
  auto mask = slots <= write_slots.unsqueeze(2);                  // (B, T, S)
  return {write_slots, attention_bias(mask, dtype)};             // bias (B, 1, T, S)
}

std::pair<torch::Tensor, torch::Tensor> cache_write_read(LayerCache& cache, const CachedStep& step,
                                                         const torch::Tensor& k, const torch::Tensor& v,
                                                         torch::ScalarType dtype) {
  // Scatter the new entries to each row's own slots, then read the live prefix.
  const auto B = k.size(0), T = k.size(2);
  auto rows = torch::arange(B, step.write_slots.options()).unsqueeze(1).expand({B, T});  // (B, T)
  cache.k.index_put_({rows, Slice(), step.write_slots}, k.transpose(1, 2).to(cache.k.dtype()));
  cache.v.index_put_({rows, Slice(), step.write_slots}, v.transpose(1, 2).to(cache.v.dtype()));
  const auto S = step.bias.size(-1);
  return {cache.k.narrow(2, 0, S).to(dtype), cache.v.narrow(2, 0, S).to(dtype)};  // (B, K, S, D)
}

}  // namespace model
}  // namespace seqmatch
