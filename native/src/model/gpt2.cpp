// GPT-2 decoder: see gpt2.h. Reads top to bottom, leaves first.
#include "model/gpt2.h"

#include <torch/version.h>  // provides: TORCH_VERSION_MAJOR

#include <cmath>
#include <limits>

#include "util/check.h"

namespace seqmatch {
namespace model {

using torch::indexing::Slice;

// ---- attention ----------------------------------------------------------------------------

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

// softmax(q·kᵀ/√D + bias)·v. bias undefined means plain causal attention (T == S), which lets
// SDPA pick its flash/efficient kernels. libtorch 1.13 has no SDPA: explicit matmul+softmax.
static torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            torch::Tensor bias) {
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
  auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(q.size(-1))));
  att = torch::softmax(att + bias, -1);  // (B, H, T, S)
  return torch::matmul(att, v);          // (B, H, T, D)
#endif
}

AttentionImpl::AttentionImpl(const GPT2Options& o) : n_head(o.n_head()) {
  c_attn = register_module("c_attn", Projection(o.n_embd(), 3 * o.n_embd(), true, WeightLayout::kConv1D));
  c_proj = register_module("c_proj", Projection(o.n_embd(), o.n_embd(), true, WeightLayout::kConv1D));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& bias,
                                     LayerCache* cache, const torch::Tensor& write_slots) {
  const auto B = x.size(0), T = x.size(1), C = x.size(2), D = C / n_head;
  auto qkv = c_attn(x).split(C, -1);                   // 3 × (B, T, C)
  auto q = qkv[0].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  auto k = qkv[1].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  auto v = qkv[2].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  if (cache != nullptr) {
    // Scatter the new entries to each row's own slots, then attend over the live prefix.
    auto rows = torch::arange(B, write_slots.options()).unsqueeze(1).expand({B, T});  // (B, T)
    cache->k.index_put_({rows, Slice(), write_slots}, k.transpose(1, 2).to(cache->k.dtype()));
    cache->v.index_put_({rows, Slice(), write_slots}, v.transpose(1, 2).to(cache->v.dtype()));
    const auto S = bias.size(-1);
    k = cache->k.narrow(2, 0, S).to(q.dtype());  // (B, H, S, D)
    v = cache->v.narrow(2, 0, S).to(q.dtype());  // (B, H, S, D)
  }
  auto y = attend(q, k, v, bias);                       // (B, H, T, D)
  y = y.transpose(1, 2).contiguous().view({B, T, C});   // (B, T, C)
  return c_proj(y);
}

// ---- MLP and block ------------------------------------------------------------------------

MLPImpl::MLPImpl(const GPT2Options& o) {
  c_fc = register_module("c_fc", Projection(o.n_embd(), 4 * o.n_embd(), true, WeightLayout::kConv1D));
  c_proj = register_module("c_proj", Projection(4 * o.n_embd(), o.n_embd(), true, WeightLayout::kConv1D));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  return c_proj(at::gelu(c_fc(x), "tanh"));  // GPT-2's "gelu_new" is the tanh approximation
}

BlockImpl::BlockImpl(const GPT2Options& o) {
  auto ln = torch::nn::LayerNormOptions({o.n_embd()}).eps(o.layer_norm_epsilon());
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
  attn = register_module("attn", Attention(o));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", MLP(o));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& bias,
                                 LayerCache* cache, const torch::Tensor& write_slots) {
  auto y = x + attn(ln_1(x), bias, cache, write_slots);  // (B, T, C)
  return y + mlp(ln_2(y));                                // (B, T, C)
}

// ---- GPT-2 --------------------------------------------------------------------------------

GPT2Impl::GPT2Impl(const GPT2Options& o) : options_(o) {
  SM_CHECK(o.vocab_size() > 0 && o.n_positions() > 0 && o.n_layer() > 0 && o.n_head() > 0,
           "gpt2: vocab_size, n_positions, n_layer and n_head must be positive");
  SM_CHECK(o.n_embd() > 0 && o.n_embd() % o.n_head() == 0,
           "gpt2: n_embd must be a positive multiple of n_head (got n_embd=", o.n_embd(),
           ", n_head=", o.n_head(), ")");
  wte = register_module("wte", torch::nn::Embedding(o.vocab_size(), o.n_embd()));
  wpe = register_module("wpe", torch::nn::Embedding(o.n_positions(), o.n_embd()));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.n_layer(); ++i) h->push_back(Block(o));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(
                                     torch::nn::LayerNormOptions({o.n_embd()})
                                         .eps(o.layer_norm_epsilon())));
  reset_parameters();
}

void GPT2Impl::reset_parameters() {
  torch::NoGradGuard no_grad;
  const double proj_std = 0.02 / std::sqrt(2.0 * options_.n_layer());  // GPT-2 paper §2.3
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    auto ends_with = [&](const std::string& s) {
      return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
    };
    if (name.find("ln_") != std::string::npos) {
      ends_with("weight") ? p.value().fill_(1.0) : p.value().zero_();
    } else if (ends_with(".bias")) {
      p.value().zero_();
    } else if (ends_with("c_proj.weight")) {
      p.value().normal_(0.0, proj_std);
    } else {
      p.value().normal_(0.0, 0.02);
    }
  }
}

void GPT2Impl::add_tokens(int64_t n) {
  SM_CHECK(n > 0, "gpt2: add_tokens needs n > 0 (got ", n, ")");
  torch::NoGradGuard no_grad;
  auto w = wte->weight;                                           // (V, C)
  auto mean = w.mean(0, /*keepdim=*/true).expand({n, w.size(1)});  // (n, C)
  wte->weight.set_data(torch::cat({w, mean}, 0));                 // (V + n, C)
  options_.vocab_size(options_.vocab_size() + n);
  wte->options.num_embeddings(options_.vocab_size());
}

torch::Tensor GPT2Impl::run_blocks(torch::Tensor x, const torch::Tensor& bias, KVCache* cache,
                                   const torch::Tensor& write_slots) {
  for (size_t i = 0; i < h->size(); ++i) {
    LayerCache* layer = cache ? &cache->layer(static_cast<int64_t>(i)) : nullptr;
    x = h[i]->as<Block>()->forward(x, bias, layer, write_slots);  // (B, T, C)
  }
  return ln_f(x);  // (B, T, C)
}

torch::Tensor GPT2Impl::hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                               const torch::Tensor& mask) {
  torch::Tensor bias;  // undefined = causal fast path
  if (mask.defined()) bias = attention_bias(mask, wte->weight.scalar_type());  // (B, 1, T, T)
  auto x = wte(ids) + wpe(pos);  // (B, T, C)
  return run_blocks(x, bias, nullptr, {});
}

torch::Tensor GPT2Impl::forward(const torch::Tensor& ids, const torch::Tensor& pos,
                                const torch::Tensor& mask) {
  return lm_head(hidden(ids, pos, mask));  // (B, T, V)
}

torch::Tensor GPT2Impl::forward_cached(const torch::Tensor& ids, const torch::Tensor& pos,
                                       KVCache& cache, const std::vector<int64_t>& n_valid) {
  return lm_head(hidden_cached(ids, pos, cache, n_valid));  // (B, T, V)
}

torch::Tensor GPT2Impl::hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos,
                                      KVCache& cache, const std::vector<int64_t>& n_valid) {
  const auto B = ids.size(0), T = ids.size(1);
  SM_CHECK(B == cache.rows(), "gpt2: batch has ", B, " rows but the cache has ", cache.rows());
  SM_CHECK(static_cast<int64_t>(n_valid.size()) == B, "gpt2: n_valid needs one entry per row");
  SM_CHECK(cache.max_length() + T <= cache.capacity(), "kv cache: full (longest row ",
           cache.max_length(), " + ", T, " new > capacity ", cache.capacity(),
           "). Hint: create the cache with a larger capacity");
  auto dev = ids.device();
  auto lengths = torch::tensor(cache.lengths(), torch::kLong).to(dev);                // (B)
  auto write_slots = lengths.unsqueeze(1) + torch::arange(T, ids.options()).unsqueeze(0);  // (B, T)
  const auto S = cache.max_length() + T;
  auto slots = torch::arange(S, ids.options()).view({1, 1, S});  // (1, 1, S)
  auto mask = slots <= write_slots.unsqueeze(2);                  // (B, T, S)
  auto bias = attention_bias(mask, wte->weight.scalar_type());   // (B, 1, T, S)
  auto x = wte(ids) + wpe(pos);                                  // (B, T, C)
  x = run_blocks(x, bias, &cache, write_slots);                  // (B, T, C)
  cache.advance(n_valid);
  return x;  // (B, T, C)
}

}  // namespace model
}  // namespace seqmatch
