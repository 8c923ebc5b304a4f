// Checkpoint directories: see checkpoint.h.
#include "model/checkpoint.h"

#include <fstream>
#include <set>

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

std::string shape_str(torch::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

Checkpoint load_checkpoint(const std::string& dir, const torch::Device& device) {
  const std::string config_path = dir + "/config.json";
  const std::string weights_path = dir + "/model.safetensors";
  ModelConfig config = read_config(config_path);
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
