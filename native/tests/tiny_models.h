// One tiny random model per decoder family (GPT-2; Llama with GQA 4/2 and an untied head; Qwen2
// with q/k/v biases and a tied head), so a test of the model-agnostic machinery (packing,
// KV cache, sampler, losses, trainer) runs over every family instead of being copied per family.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "model/config.h"
#include "model/family.h"

namespace seqmatch {
namespace testing {

// config.json of a tiny model of `family` ("gpt2", "llama", "qwen2").
inline nlohmann::json tiny_config(const std::string& family, int64_t vocab, int64_t n_positions) {
  if (family == "gpt2") {
    return {{"model_type", "gpt2"}, {"vocab_size", vocab}, {"n_positions", n_positions},
            {"n_embd", 32}, {"n_layer", 2}, {"n_head", 4}};
  }
  return {{"model_type", family}, {"vocab_size", vocab}, {"max_position_embeddings", n_positions},
          {"hidden_size", 32}, {"intermediate_size", 48}, {"num_hidden_layers", 2},
          {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"rope_theta", 10000.0},
          {"tie_word_embeddings", family == "qwen2"}};
}

// Seeded; 1-D parameters (biases, norm gains) are perturbed so they matter in comparisons.
inline model::DecoderLM tiny_model(const std::string& family, int64_t vocab, int64_t n_positions, uint64_t seed) {
  torch::manual_seed(seed);
  auto m = model::make_model(model::parse_config(tiny_config(family, vocab, n_positions), "tiny " + family));
  torch::NoGradGuard no_grad;
  for (auto& p : m->parameters())
    if (p.dim() == 1) p.add_(torch::randn_like(p) * 0.1);
  m->eval();
  return m;
}

inline const std::vector<std::string>& families() {
  static const std::vector<std::string> f = {"gpt2", "llama", "qwen2"};
  return f;
}

}  // namespace testing
}  // namespace seqmatch
