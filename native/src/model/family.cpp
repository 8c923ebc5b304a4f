// Model families: see family.h.
#include "model/family.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <tuple>

#include "model/gpt2.h"
#include "model/llama.h"
#include "util/check.h"

namespace seqmatch {
namespace model {

DecoderLM make_model(const ModelConfig& config) {
  if (config.is_gpt2()) return GPT2(config.gpt2).ptr();
  return Llama(config.llama).ptr();
}

void sync_config(const DecoderLM& model, ModelConfig& config) { config.set_vocab_size(model->vocab_size()); }

namespace {

std::string shape_str(const std::vector<int64_t>& s) {  // "[2, 3]"
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// 1 + the highest block index N in names "<prefix>N." (0 if none).
int64_t count_blocks(const std::map<std::string, TensorInfo>& header, const std::vector<std::string>& prefixes) {
  int64_t blocks = 0;
  for (const auto& entry : header) {
    for (const auto& prefix : prefixes) {
      if (entry.first.rfind(prefix, 0) != 0) continue;
      const std::string rest = entry.first.substr(prefix.size());
      const std::string index = rest.substr(0, rest.find('.'));
      if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos) continue;
      blocks = std::max<int64_t>(blocks, std::stoll(index) + 1);
    }
  }
  return blocks;
}

}  // namespace

void check_config_against_header(const ModelConfig& config, const std::string& config_path,
                                 const std::map<std::string, TensorInfo>& header, const std::string& weights) {
  // (tensor names tried, expected shape, the config fields that set it)
  std::vector<std::tuple<std::vector<std::string>, std::vector<int64_t>, const char*>> checks;
  std::vector<std::string> block_prefixes;
  int64_t n_layer = 0;
  if (config.is_gpt2()) {
    const auto& o = config.gpt2;
    checks.push_back({{"transformer.wte.weight", "wte.weight"}, {o.vocab_size(), o.n_embd()}, "vocab_size, n_embd"});
    checks.push_back({{"transformer.wpe.weight", "wpe.weight"}, {o.n_positions(), o.n_embd()}, "n_positions, n_embd"});
    block_prefixes = {"transformer.h.", "h."};
    n_layer = o.n_layer();
  } else {
    const auto& o = config.llama;
    checks.push_back({{"model.embed_tokens.weight"}, {o.vocab_size, o.hidden_size}, "vocab_size, hidden_size"});
    block_prefixes = {"model.layers."};
    n_layer = o.num_hidden_layers;
  }
  for (const auto& [names, expected, fields] : checks) {
    auto it = header.end();
    for (const auto& n : names) if (it == header.end()) it = header.find(n);
    SM_CHECK(it != header.end(), "checkpoint ", weights, ": missing tensor '", names[0], "'");
    SM_CHECK(it->second.shape == expected, "checkpoint ", config_path, ": ", fields, " = ", shape_str(expected),
             " do not match tensor '", it->first, "' ", shape_str(it->second.shape), " in ", weights);
  }
  // Fewer blocks in the config than in the file is left to the per-tensor check ("unexpected
  // tensor"); more would allocate blocks the file has no weights for.
  const int64_t blocks = count_blocks(header, block_prefixes);
  SM_CHECK(n_layer <= blocks, "checkpoint ", config_path, ": ", config.is_gpt2() ? "n_layer" : "num_hidden_layers",
           " = ", n_layer, " exceeds the ", blocks, " blocks in ", weights);
}

torch::ScalarType parse_dtype(const std::string& name, const std::string& where) {
  if (name.empty() || name == "float32" || name == "fp32") return torch::kFloat;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16") return torch::kHalf;
  SM_CHECK(false, where, ": unsupported dtype \"", name, "\" (expected float32, bfloat16 or float16)");
  return torch::kFloat;
}

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kBFloat16: return "bfloat16";
    case torch::kHalf: return "float16";
    case torch::kDouble: return "float64";
    default: return "float32";
  }
}

void set_weight_dtype(const DecoderLM& model, torch::ScalarType dtype) {
  if (dtype == torch::kFloat) return;
  SM_CHECK(model->family() != "gpt2", "gpt2: weights are kept in float32 (dtype ", dtype_name(dtype),
           " is supported for llama and qwen2)");
  model->to(dtype);
  static std::atomic<bool> said{false};
  if (model->device().is_cpu() && !said.exchange(true)) {
    std::fprintf(stderr, "note: %s weights on CPU: libtorch's CPU kernels lack fast %s, so activations are "
                 "computed in float32 (weights stay %s)\n", dtype_name(dtype).c_str(), dtype_name(dtype).c_str(),
                 dtype_name(dtype).c_str());
  }
}

}  // namespace model
}  // namespace seqmatch
