// Checkpoint directories: see checkpoint.h.
#include "model/checkpoint.h"

#include <fstream>
#include <algorithm>
#include <set>
#include <tuple>

#include "model/safetensors.h"
#include "util/atomic_dir.h"
#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

const std::string kPrefix = "transformer.";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string shape_str(torch::IntArrayRef s) {  // "[2, 3]"
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The sizes config.json declares, checked against the shapes model.safetensors' header holds,
// before the model or any tensor is allocated: the file's own size then bounds what loading
// allocates, whatever config.json says. Names are looked up with and without "transformer.".
void check_config_against_header(const ModelConfig& config, const std::string& config_path,
                                 const std::map<std::string, TensorInfo>& header,
                                 const std::string& weights_path) {
  auto find = [&](const std::string& name) {
    auto it = header.find(kPrefix + name);
    return it != header.end() ? it : header.find(name);
  };
  const auto& o = config.gpt2;
  for (auto [name, rows, fields] :
       {std::tuple<const char*, int64_t, const char*>{"wte.weight", o.vocab_size(), "vocab_size, n_embd"},
        {"wpe.weight", o.n_positions(), "n_positions, n_embd"}}) {
    auto it = find(name);
    SM_CHECK(it != header.end(), "checkpoint ", weights_path, ": missing tensor '", kPrefix, name, "'");
    const std::vector<int64_t> expected = {rows, o.n_embd()};
    SM_CHECK(it->second.shape == expected, "checkpoint ", config_path, ": ", fields, " = ",
             shape_str(expected), " do not match tensor '", it->first, "' ",
             shape_str(it->second.shape), " in ", weights_path);
  }
  // 1 + the highest block index "h.N." among the tensors. Fewer blocks in the config than in the
  // file is left to the per-tensor check ("unexpected tensor"); more would allocate blocks the
  // file has no weights for.
  int64_t layers = 0;
  for (const auto& [name, info] : header) {
    const std::string local = name.rfind(kPrefix, 0) == 0 ? name.substr(kPrefix.size()) : name;
    if (local.rfind("h.", 0) != 0) continue;
    const size_t dot = local.find('.', 2);
    const std::string index = local.substr(2, dot == std::string::npos ? std::string::npos : dot - 2);
    if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos) continue;
    layers = std::max<int64_t>(layers, std::stoll(index) + 1);
  }
  SM_CHECK(o.n_layer() <= layers, "checkpoint ", config_path, ": n_layer = ", o.n_layer(),
           " exceeds the ", layers, " blocks in ", weights_path);
}

}  // namespace

Checkpoint load_checkpoint(const std::string& dir, const torch::Device& device) {
  const std::string config_path = dir + "/config.json";
  const std::string weights_path = dir + "/model.safetensors";
  ModelConfig config = read_config(config_path);
  check_config_against_header(config, config_path, read_safetensors_header(weights_path), weights_path);
  auto tensors = read_safetensors(weights_path);

  GPT2 model(config.gpt2);
  std::set<std::string> seen;
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    const std::string& name = p.key();
    auto it = tensors.find(kPrefix + name);
    if (it == tensors.end()) it = tensors.find(name);
    SM_CHECK(it != tensors.end(), "checkpoint ", weights_path, ": missing tensor '", kPrefix, name,
             "' (expected shape ", shape_str(p.value().sizes()), ")");
    SM_CHECK(it->second.sizes() == p.value().sizes(), "checkpoint ", weights_path, ": tensor '",
             it->first, "' has shape ", shape_str(it->second.sizes()), ", expected ",
             shape_str(p.value().sizes()), " from config.json");
    SM_CHECK(it->second.is_floating_point(), "checkpoint ", weights_path, ": tensor '", it->first,
             "' is not floating point");
    p.value().copy_(it->second.to(torch::kFloat));
    seen.insert(it->first);
  }
  for (const auto& [name, t] : tensors) {
    if (seen.count(name)) continue;
    // Tied head (same shape as wte) and old GPT-2 files' causal-mask buffers carry no weights.
    if (name == "lm_head.weight") {
      SM_CHECK(t.sizes() == model->wte->weight.sizes(), "checkpoint ", weights_path,
               ": tensor 'lm_head.weight' has shape ", shape_str(t.sizes()),
               " but the head is tied to wte ", shape_str(model->wte->weight.sizes()));
      continue;
    }
    if (ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias")) continue;
    SM_CHECK(false, "checkpoint ", weights_path, ": unexpected tensor '", name,
             "' (not part of a GPT-2 model)");
  }
  model->to(device);
  model->eval();
  return {model, config};
}

void save_checkpoint(GPT2& model, const ModelConfig& config, const std::string& dir) {
  util::write_dir_atomically(dir, [&](const std::string& tmp) { write_model_files(model, config, tmp); });
}

void write_model_files(GPT2& model, const ModelConfig& config, const std::string& dir) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& p : model->named_parameters()) {
    tensors.emplace_back(kPrefix + p.key(), p.value().to(torch::kFloat));
  }
  ModelConfig c = config;
  c.gpt2 = model->options();
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
  std::ofstream out(dir + "/config.json");
  out << config_to_json(c);
  out.flush();
  SM_CHECK(out.good(), "checkpoint ", dir, ": cannot write config.json");
}

}  // namespace model
}  // namespace seqmatch
