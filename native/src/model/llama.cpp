// Llama-family decoder: see llama.h. Reads top to bottom, leaves first.
#include "model/llama.h"

#include "util/check.h"

namespace seqmatch {
namespace model {

// ---- attention ----------------------------------------------------------------------------

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaOptions& o)
    : n_head(o.num_attention_heads), n_kv_head(o.num_key_value_heads), head_dim(o.head_dim_or_default()) {
  const auto C = o.hidden_size;
  q_proj = register_module("q_proj", Projection(C, n_head * head_dim, o.qkv_bias(), WeightLayout::kLinear));
  k_proj = register_module("k_proj", Projection(C, n_kv_head * head_dim, o.qkv_bias(), WeightLayout::kLinear));
  v_proj = register_module("v_proj", Projection(C, n_kv_head * head_dim, o.qkv_bias(), WeightLayout::kLinear));
  o_proj = register_module("o_proj", Projection(n_head * head_dim, C, o.o_bias(), WeightLayout::kLinear));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                          const torch::Tensor& sin, const torch::Tensor& bias,
                                          LayerCache* cache, const CachedStep* step) {
  const auto B = x.size(0), T = x.size(1);
  auto q = q_proj(x).view({B, T, n_head, head_dim}).transpose(1, 2);     // (B, H, T, D)
  auto k = k_proj(x).view({B, T, n_kv_head, head_dim}).transpose(1, 2);  // (B, K, T, D)
  auto v = v_proj(x).view({B, T, n_kv_head, head_dim}).transpose(1, 2);  // (B, K, T, D)
  q = apply_rope(q, cos, sin);
  k = apply_rope(k, cos, sin);  // cached rotated: a slot's angle is fixed by its own position
  if (cache != nullptr) std::tie(k, v) = cache_write_read(*cache, *step, k, v, q.scalar_type());  // (B, K, S, D)
  auto y = attend(q, k, v, bias);                                        // (B, H, T, D)
  return o_proj(y.transpose(1, 2).reshape({B, T, n_head * head_dim}));  // (B, T, C)
}

// ---- MLP and layer ------------------------------------------------------------------------

LlamaMLPImpl::LlamaMLPImpl(const LlamaOptions& o) {
  const auto C = o.hidden_size, I = o.intermediate_size;
  gate_proj = register_module("gate_proj", Projection(C, I, o.mlp_bias, WeightLayout::kLinear));
  up_proj = register_module("up_proj", Projection(C, I, o.mlp_bias, WeightLayout::kLinear));
  down_proj = register_module("down_proj", Projection(I, C, o.mlp_bias, WeightLayout::kLinear));
}

torch::Tensor LlamaMLPImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));  // (B, T, C)
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaOptions& o) {
  self_attn = register_module("self_attn", LlamaAttention(o));
  mlp = register_module("mlp", LlamaMLP(o));
  input_layernorm = register_module("input_layernorm", RMSNorm(o.hidden_size, o.rms_norm_eps));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(o.hidden_size, o.rms_norm_eps));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos,
                                             const torch::Tensor& sin, const torch::Tensor& bias,
                                             LayerCache* cache, const CachedStep* step) {
  auto y = x + self_attn(input_layernorm(x), cos, sin, bias, cache, step);  // (B, T, C)
  return y + mlp(post_attention_layernorm(y));                             // (B, T, C)
}

LlamaModelImpl::LlamaModelImpl(const LlamaOptions& o) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(o.vocab_size, o.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_hidden_layers; ++i) layers->push_back(LlamaDecoderLayer(o));
  norm = register_module("norm", RMSNorm(o.hidden_size, o.rms_norm_eps));
}

// ---- Llama --------------------------------------------------------------------------------

LlamaImpl::LlamaImpl(const LlamaOptions& o) : options_(o) {
  SM_CHECK(o.vocab_size > 0 && o.max_position_embeddings > 0 && o.hidden_size > 0 &&
               o.intermediate_size > 0 && o.num_hidden_layers > 0 && o.num_attention_heads > 0 &&
               o.num_key_value_heads > 0,
           o.model_type, ": sizes must be positive");
  SM_CHECK(o.num_attention_heads % o.num_key_value_heads == 0, o.model_type, ": num_attention_heads (",
           o.num_attention_heads, ") must be a multiple of num_key_value_heads (", o.num_key_value_heads, ")");
  SM_CHECK(o.head_dim_or_default() > 0 && o.head_dim_or_default() % 2 == 0, o.model_type,
           ": head_dim must be a positive even number (got ", o.head_dim_or_default(), ")");
  model = register_module("model", LlamaModel(o));
  if (!o.tie_word_embeddings) {
    lm_head_proj = register_module("lm_head", Projection(o.hidden_size, o.vocab_size, false, WeightLayout::kLinear));
  }
  inv_freq_ = rope_inv_freq(o.head_dim_or_default(), o.rope_theta, o.rope_scaling);
  reset_parameters();
}

void LlamaImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    if (name.find("norm.") != std::string::npos) {
      p.value().fill_(1.0);
    } else if (p.value().dim() == 1) {
      p.value().zero_();  // biases
    } else {
      p.value().normal_(0.0, options_.initializer_range);
    }
  }
}

void LlamaImpl::add_tokens(int64_t n) {
  SM_CHECK(n > 0, options_.model_type, ": add_tokens needs n > 0 (got ", n, ")");
  torch::NoGradGuard no_grad;
  auto grow = [n](torch::Tensor& w) {  // (V, C) -> (V + n, C), new rows = mean row
    auto mean = w.mean(0, /*keepdim=*/true).expand({n, w.size(1)});
    w.set_data(torch::cat({w, mean}, 0));
  };
  grow(model->embed_tokens->weight);
  options_.vocab_size += n;
  model->embed_tokens->options.num_embeddings(options_.vocab_size);
  if (!options_.tie_word_embeddings) {
    grow(lm_head_proj->weight);
    // Projection's out_features is fixed at construction: a fresh head holds the grown weight.
    auto grown = Projection(options_.hidden_size, options_.vocab_size, false, WeightLayout::kLinear);
    grown->weight.set_data(lm_head_proj->weight.data());
    grown->to(lm_head_proj->weight.device());
    lm_head_proj = replace_module("lm_head", grown);
  }
}

bool LlamaImpl::ignorable_tensor(const std::string& name, const torch::Tensor& t) const {
  if (name == "lm_head.weight" && options_.tie_word_embeddings) {
    // Some tied checkpoints store the head anyway: it must be the embedding's shape.
    SM_CHECK(t.sizes() == model->embed_tokens->weight.sizes(), "tensor 'lm_head.weight' has shape ",
             t.sizes(), " but the head is tied to model.embed_tokens ", model->embed_tokens->weight.sizes(),
             " (tie_word_embeddings = true)");
    return true;
  }
  // Older transformers saved the rotary frequencies as a buffer; they are recomputed from the config.
  const std::string tail = ".self_attn.rotary_emb.inv_freq";
  return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0;
}

torch::Tensor LlamaImpl::run_layers(const torch::Tensor& ids, const torch::Tensor& pos,
                                    const torch::Tensor& bias, KVCache* cache, const CachedStep* step) {
  auto x = model->embed_tokens(ids).to(compute_dtype());  // (B, T, C)
  auto [cos, sin] = rope_angles(inv_freq_, pos);           // (B, 1, T, D) each
  for (size_t i = 0; i < model->layers->size(); ++i) {
    LayerCache* layer = cache ? &cache->layer(static_cast<int64_t>(i)) : nullptr;
    x = model->layers[i]->as<LlamaDecoderLayer>()->forward(x, cos, sin, bias, layer, step);  // (B, T, C)
  }
  return model->norm(x);  // (B, T, C)
}

torch::Tensor LlamaImpl::hidden(const torch::Tensor& ids, const torch::Tensor& pos, const torch::Tensor& mask) {
  torch::Tensor bias;  // undefined = causal fast path
  if (mask.defined()) bias = attention_bias(mask, compute_dtype());  // (B, 1, T, T)
  return run_layers(ids, pos, bias, nullptr, nullptr);
}

torch::Tensor LlamaImpl::hidden_cached(const torch::Tensor& ids, const torch::Tensor& pos, KVCache& cache,
                                       const std::vector<int64_t>& n_valid) {
  auto step = cached_step(ids, cache, n_valid, compute_dtype(), options_.model_type.c_str());
  auto x = run_layers(ids, pos, step.bias, &cache, &step);  // (B, T, C)
  cache.advance(n_valid);
  return x;
}

}  // namespace model
}  // namespace seqmatch
