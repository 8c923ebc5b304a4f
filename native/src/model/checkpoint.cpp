// Checkpoint directories: see checkpoint.h.
#include "model/checkpoint.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/family.h"
#include "model/safetensors.h"
#include "util/atomic_dir.h"
#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

std::string shape_str(torch::IntArrayRef s) {  // "[2, 3]"
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The weight files of a checkpoint and which file holds each tensor: model.safetensors, or the
// shards model.safetensors.index.json names. `label` is what errors call the weights.
struct WeightFiles {
  std::vector<std::string> files;
  std::string label;
};

WeightFiles find_weight_files(const std::string& dir) {
  const std::string single = dir + "/model.safetensors", index = dir + "/model.safetensors.index.json";
  if (std::filesystem::exists(single) || !std::filesystem::exists(index)) return {{single}, single};
  auto j = nlohmann::json::parse(read_text(index), nullptr, /*allow_exceptions=*/false);
  SM_CHECK(j.is_object() && j.contains("weight_map") && j["weight_map"].is_object(), "checkpoint ", index,
           ": field 'weight_map' must be an object {tensor: file}");
  std::set<std::string> files;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    SM_CHECK(it.value().is_string(), "checkpoint ", index, ": field 'weight_map.", it.key(), "' must be a file name");
    const auto file = it.value().get<std::string>();
    SM_CHECK(file.find('/') == std::string::npos && file != ".." && !file.empty(), "checkpoint ", index,
             ": field 'weight_map.", it.key(), "' names '", file, "', not a file in the directory");
    files.insert(file);
  }
  SM_CHECK(!files.empty(), "checkpoint ", index, ": field 'weight_map' is empty");
  WeightFiles w{{}, index};
  for (const auto& f : files) w.files.push_back(dir + "/" + f);
  return w;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& dir, const torch::Device& device, torch::ScalarType dtype) {
  const std::string config_path = dir + "/config.json";
  ModelConfig config = read_config(config_path);
  const WeightFiles weights = find_weight_files(dir);
  std::map<std::string, TensorInfo> header;
  std::map<std::string, std::string> file_of;  // tensor -> file, for errors
  for (const auto& f : weights.files) {
    for (auto& [name, info] : read_safetensors_header(f)) {
      SM_CHECK(file_of.emplace(name, f).second, "checkpoint ", f, ": tensor '", name, "' is also in ", file_of[name]);
      header.emplace(name, info);
    }
  }
  check_config_against_header(config, config_path, header, weights.label);
  for (const char* name : kCarriedFiles) {
    const std::string path = dir + "/" + name;
    if (std::filesystem::is_regular_file(path)) config.carried_files[name] = read_text(path);
  }

  DecoderLM model = make_model(config);
  torch::NoGradGuard no_grad;
  // Parameters are filled shard by shard (one shard's tensors in memory at a time).
  std::map<std::string, std::pair<std::string, torch::Tensor>> wanted;  // file tensor -> (name, parameter)
  for (auto& p : model->named_parameters()) {
    std::string found;
    for (const auto& n : model->checkpoint_names(p.key()))
      if (found.empty() && header.count(n)) found = n;
    SM_CHECK(!found.empty(), "checkpoint ", weights.label, ": missing tensor '", model->checkpoint_names(p.key())[0],
             "' (expected shape ", shape_str(p.value().sizes()), ")");
    const auto& info = header.at(found);
    SM_CHECK(torch::IntArrayRef(info.shape) == p.value().sizes(), "checkpoint ", file_of[found], ": tensor '", found,
             "' has shape ", shape_str(info.shape), ", expected ", shape_str(p.value().sizes()), " from config.json");
    SM_CHECK(c10::isFloatingType(info.dtype), "checkpoint ", file_of[found], ": tensor '", found,
             "' is not floating point");
    wanted.emplace(found, std::make_pair(p.key(), p.value()));
  }
  for (const auto& f : weights.files) {
    for (auto& [name, t] : read_safetensors(f)) {
      auto it = wanted.find(name);
      if (it != wanted.end()) {
        it->second.second.copy_(t.to(torch::kFloat));
        continue;
      }
      bool skip = false;
      try {
        skip = model->ignorable_tensor(name, t);
      } catch (const c10::Error& e) {
        SM_CHECK(false, "checkpoint ", f, ": ", e.what_without_backtrace());
      }
      SM_CHECK(skip, "checkpoint ", f, ": unexpected tensor '", name, "' (not part of a ", model->family(), " model)");
    }
  }
  model->to(device);
  set_weight_dtype(model, dtype);
  model->eval();
  return {model, config};
}

void save_checkpoint(const DecoderLM& model, const ModelConfig& config, const std::string& dir) {
  util::write_dir_atomically(dir, [&](const std::string& tmp) { write_model_files(model, config, tmp); });
}

void write_model_files(const DecoderLM& model, const ModelConfig& config, const std::string& dir) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  torch::ScalarType dtype = torch::kFloat;
  for (auto& p : model->named_parameters()) {
    dtype = p.value().scalar_type();
    tensors.emplace_back(model->checkpoint_names(p.key())[0], p.value());
  }
  ModelConfig c = config;
  sync_config(model, c);
  c.torch_dtype = dtype_name(dtype);
  write_safetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out << text;
    out.flush();
    SM_CHECK(out.good(), "checkpoint ", dir, ": cannot write ", name);
  };
  write("config.json", config_to_json(c));
  for (const auto& [name, text] : config.carried_files) write(name, text);
}

}  // namespace model
}  // namespace seqmatch
