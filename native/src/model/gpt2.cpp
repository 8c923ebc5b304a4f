// GPT-2 decoder: see gpt2.h. Reads top to bottom, leaves first.
#include "model/gpt2.h"

#include <cmath>

#include "util/check.h"

namespace seqmatch {
namespace model {

// ---- attention ----------------------------------------------------------------------------

AttentionImpl::AttentionImpl(const GPT2Options& o) : n_head(o.n_head()) {
  c_attn = register_module("c_attn", Projection(o.n_embd(), 3 * o.n_embd(), true, WeightLayout::kConv1D));
  c_proj = register_module("c_proj", Projection(o.n_embd(), o.n_embd(), true, WeightLayout::kConv1D));
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& bias,
                                     LayerCache* cache, const CachedStep* step) {
  const auto B = x.size(0), T = x.size(1), C = x.size(2), D = C / n_head;
  auto qkv = c_attn(x).split(C, -1);                   // 3 × (B, T, C)
  auto q = qkv[0].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  auto k = qkv[1].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  auto v = qkv[2].view({B, T, n_head, D}).transpose(1, 2);  // (B, H, T, D)
  if (cache != nullptr) std::tie(k, v) = cache_write_read(*cache, *step, k, v, q.scalar_type());  // (B, H, S, D)
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
                                 LayerCache* cache, const CachedStep* step) {
  auto y = x + attn(ln_1(x), bias, cache, step);  // (B, T, C)
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

bool GPT2Impl::ignorable_tensor(const std::string& name, const torch::Tensor& t) const {
  // Tied head (same shape as wte) and old GPT-2 files' causal-mask buffers carry no weights.
  if (name == "lm_head.weight") {
    SM_CHECK(t.sizes() == wte->weight.sizes(), "tensor 'lm_head.weight' has shape ", t.sizes(),
             " but the head is tied to wte ", wte->weight.sizes());
    return true;
  }
  auto ends_with = [&](const std::string& s) {
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with(".attn.bias") || ends_with(".attn.masked_bias");
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
                                   const CachedStep* step) {
  for (size_t i = 0; i < h->size(); ++i) {
    LayerCache* layer = cache ? &cache->layer(static_cast<int64_t>(i)) : nullptr;
    x = h[i]->as<Block>()->forward(x, bias, layer, step);  // (B, T, C)
  }
  return ln_f(x);  // (B, T, C)
}

torch::Tensor GPT2Impl::hidden(const torch::Tensor& ids, const torch::Tensor& pos,
                               const torch::Tensor& mask) {
  torch::Tensor bias;  // undefined = causal fast path
  if (mask.defined()) bias = attention_bias(mask, wte->weight.scalar_type());  // (B, 1, T, T)
  auto x = wte(ids) + wpe(pos);  // (B, T, C)
  return run_blocks(x, bias, nullptr, nullptr);
}

torch::Tensor GPT2Impl::hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos,
                                      KVCache& cache, const std::vector<int64_t>& n_valid) {
  auto step = cached_step(ids, cache, n_valid, wte->weight.scalar_type(), "gpt2");
  auto x = wte(ids) + wpe(pos);                                  // (B, T, C)
  x = run_blocks(x, step.bias, &cache, &step);                   // (B, T, C)
  cache.advance(n_valid);
  return x;  // (B, T, C)
}

}  // namespace model
}  // namespace seqmatch
