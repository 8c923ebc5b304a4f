// PEFT adapter directories: see peft_io.h.
#include "model/peft_io.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "model/safetensors.h"
#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

const std::string kKeyPrefix = "base_model.model.";
const std::string kRowsSuffix = ".token_adapter.trainable_tokens_delta";

std::string shape_str(torch::IntArrayRef s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

std::string last_component(const std::string& name) { return name.substr(name.rfind('.') + 1); }

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  SM_CHECK(in.good(), "adapter ", path, ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  SM_CHECK(!j.is_discarded() && j.is_object(), "adapter ", path, ": not a JSON object");
  return j;
}

std::vector<int64_t> read_ids(const nlohmann::json& v, const std::string& path) {
  SM_CHECK(v.is_array() && !v.empty(), "adapter ", path, ": field 'trainable_token_indices' must list token ids (got ",
           v.dump(), ")");
  std::vector<int64_t> ids;
  for (const auto& x : v) {
    SM_CHECK(x.is_number_integer() && x.get<int64_t>() >= 0, "adapter ", path,
             ": field 'trainable_token_indices' holds a bad token id ", x.dump());
    ids.push_back(x.get<int64_t>());
  }
  return ids;
}

// The vocabulary matrix a trainable_token_indices key names ("wte", "embed_tokens", "lm_head"; ""
// = the input embedding, PEFT's list form). Undefined for a head tied to the embedding.
const std::pair<std::string, torch::Tensor>* find_matrix(const std::vector<std::pair<std::string, torch::Tensor>>& ms,
                                                        const std::string& key) {
  for (const auto& m : ms) {
    const std::string last = last_component(m.first);
    if (key.empty() ? last != "lm_head" : (m.first == key || last == key)) return &m;
  }
  return nullptr;
}

}  // namespace

int64_t Adapter::vocab_needed() const {
  int64_t n = 0;
  for (const auto& [m, ids] : token_ids)
    for (int64_t id : ids) n = std::max(n, id + 1);
  return n;
}

Adapter read_adapter(const std::string& dir) {
  namespace fs = std::filesystem;
  SM_CHECK(fs::is_directory(dir), "adapter ", dir, ": not a directory. Hint: pass the directory holding "
           "adapter_config.json and adapter_model.safetensors");
  Adapter a;
  a.dir = dir;
  const std::string cpath = dir + "/adapter_config.json";
  SM_CHECK(fs::is_regular_file(cpath), "adapter ", cpath, ": missing file (not a PEFT adapter directory)");
  const auto j = read_json_file(cpath);
  auto field = [&](const char* k) -> const nlohmann::json* {
    return j.contains(k) && !j[k].is_null() ? &j[k] : nullptr;
  };
  auto bad = [&](bool ok, const char* k, const std::string& why) {
    SM_CHECK(ok, "adapter ", cpath, ": field '", k, "' ", why);
  };
  const auto* peft_type = field("peft_type");
  bad(peft_type && peft_type->is_string() && peft_type->get<std::string>() == "LORA", "peft_type",
      "must be \"LORA\" (got " + (peft_type ? peft_type->dump() : std::string("nothing")) + ")");
  const auto* r = field("r");
  bad(r && r->is_number_integer() && r->get<int64_t>() > 0, "r",
      "must be an integer > 0 (got " + (r ? r->dump() : std::string("nothing")) + ")");
  a.lora.r = r->get<int64_t>();
  if (const auto* v = field("lora_alpha")) {
    bad(v->is_number() && v->get<double>() > 0, "lora_alpha", "must be a number > 0 (got " + v->dump() + ")");
    a.lora.alpha = v->get<double>();
  } else {
    a.lora.alpha = 8;  // PEFT's default
  }
  if (const auto* v = field("lora_dropout")) {
    bad(v->is_number() && v->get<double>() >= 0 && v->get<double>() < 1, "lora_dropout",
        "must be in [0, 1) (got " + v->dump() + ")");
    a.lora.dropout = v->get<double>();
  }
  if (const auto* v = field("use_rslora")) {
    bad(v->is_boolean(), "use_rslora", "must be true or false");
    a.lora.use_rslora = v->get<bool>();
  }
  const auto* t = field("target_modules");
  bad(t && ((t->is_string() && !t->get<std::string>().empty()) || (t->is_array() && !t->empty())), "target_modules",
      "must be a non-empty list of module names or a regular expression (got " + (t ? t->dump() : std::string("nothing")) + ")");
  if (t->is_string()) {
    a.lora.target_regex = t->get<std::string>();
  } else {
    for (const auto& x : *t) {
      bad(x.is_string() && !x.get<std::string>().empty(), "target_modules", "holds a non-name " + x.dump());
      a.lora.target_modules.push_back(x.get<std::string>());
    }
  }
  // What this loader does not implement is refused, never silently ignored.
  if (const auto* v = field("bias")) bad(*v == "none", "bias", "must be \"none\" (got " + v->dump() + "): trained biases are not supported");
  if (const auto* v = field("use_dora")) bad(*v == false, "use_dora", "is true: DoRA adapters are not supported");
  for (const char* k : {"rank_pattern", "alpha_pattern"})
    if (const auto* v = field(k)) bad(v->is_object() && v->empty(), k, "is not supported (got " + v->dump() + ")");
  for (const char* k : {"layers_to_transform", "modules_to_save"})
    if (const auto* v = field(k)) bad(v->is_array() && v->empty(), k, "is not supported (got " + v->dump() + ")");
  if (const auto* v = field("base_model_name_or_path")) {
    bad(v->is_string(), "base_model_name_or_path", "must be a string");
    a.base_model = v->get<std::string>();
  }
  if (const auto* v = field("trainable_token_indices")) {
    if (v->is_array()) {
      a.token_ids[""] = read_ids(*v, cpath);  // PEFT's list form: the input embedding
    } else {
      bad(v->is_object(), "trainable_token_indices", "must be a list of ids or {module: [ids]} (got " + v->dump() + ")");
      for (auto it = v->begin(); it != v->end(); ++it) a.token_ids[it.key()] = read_ids(it.value(), cpath);
    }
  }
  const std::string wpath = dir + "/adapter_model.safetensors";
  if (!fs::exists(wpath) && fs::exists(dir + "/adapter_model.bin")) {
    SM_CHECK(false, "adapter ", dir, "/adapter_model.bin: pickle files are not read. Hint: save the adapter with "
             "safe_serialization=True (adapter_model.safetensors)");
  }
  SM_CHECK(fs::is_regular_file(wpath), "adapter ", wpath, ": missing file");
  a.tensors = read_safetensors(wpath);
  for (const auto& [name, tensor] : a.tensors)
    SM_CHECK(tensor.is_floating_point(), "adapter ", wpath, ": tensor '", name, "' is not floating point");
  const std::string spath = dir + "/seqmatch_adapter.json";
  if (fs::exists(spath)) a.seqmatch = read_json_file(spath);
  return a;
}

void write_adapter_files(torch::nn::Module& model, const LoraConfig& config, const TrainableTokenRows& rows,
                         const std::string& base_model, const nlohmann::json& seqmatch, const std::string& dir) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  bool conv1d = false;
  for (auto& [name, p] : projections(model)) {
    if (!p->has_lora()) continue;
    conv1d = conv1d || p->layout() == WeightLayout::kConv1D;
    const std::string key = kKeyPrefix + hf_module_name(model, name);
    tensors.emplace_back(key + ".lora_A.weight", p->lora().A.detach().to(torch::kFloat));  // (r, in)
    tensors.emplace_back(key + ".lora_B.weight", p->lora().B.detach().to(torch::kFloat));  // (out, r)
  }
  SM_CHECK(!tensors.empty(), "adapter ", dir, ": the model has no LoRA branch to save");
  nlohmann::json token_indices = nullptr;
  for (const auto& e : rows.entries()) {
    tensors.emplace_back(kKeyPrefix + hf_module_name(model, e.module) + kRowsSuffix, e.values.detach().to(torch::kFloat));
    if (token_indices.is_null()) token_indices = nlohmann::json::object();
    token_indices[last_component(e.module)] = rows.ids();
  }
  // The fields PEFT's LoraConfig.save_pretrained writes (sorted keys, as it dumps them).
  nlohmann::json c = {{"alpha_pattern", nlohmann::json::object()}, {"auto_mapping", nullptr},
                      {"base_model_name_or_path", base_model}, {"bias", "none"},
                      {"fan_in_fan_out", conv1d}, {"inference_mode", true}, {"init_lora_weights", true},
                      {"layers_pattern", nullptr}, {"layers_to_transform", nullptr},
                      {"lora_alpha", config.alpha}, {"lora_dropout", config.dropout},
                      {"modules_to_save", nullptr}, {"peft_type", "LORA"}, {"r", config.r},
                      {"rank_pattern", nlohmann::json::object()}, {"revision", nullptr},
                      {"target_modules", config.targets_json()}, {"task_type", "CAUSAL_LM"},
                      {"trainable_token_indices", token_indices}, {"use_dora", false},
                      {"use_rslora", config.use_rslora}};
  write_safetensors(dir + "/adapter_model.safetensors", tensors, {{"format", "pt"}});
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"adapter_config.json", c.dump(2) + "\n"},
                                   {"seqmatch_adapter.json", seqmatch.dump(2) + "\n"}}) {
    std::ofstream out(dir + "/" + name);
    out << text;
    out.flush();
    SM_CHECK(out.good(), "adapter ", dir, ": cannot write ", name);
  }
}

void apply_adapter(torch::nn::Module& model, const Adapter& a, TrainableTokenRows* rows) {
  const std::string cpath = a.dir + "/adapter_config.json", wpath = a.dir + "/adapter_model.safetensors";
  auto targets = lora_targets(model, a.lora, "adapter " + cpath);
  std::set<std::string> used;
  auto take = [&](const std::string& key, std::vector<int64_t> shape, const std::string& why) {
    auto it = a.tensors.find(key);
    SM_CHECK(it != a.tensors.end(), "adapter ", wpath, ": missing tensor '", key, "' (", why, ")");
    SM_CHECK(it->second.sizes().vec() == shape, "adapter ", wpath, ": tensor '", key, "' has shape ",
             shape_str(it->second.sizes()), ", expected ", shape_str(shape), " (", why, ")");
    used.insert(key);
    return it->second;
  };
  torch::NoGradGuard no_grad;
  for (auto& [name, p] : targets) {
    const std::string key = kKeyPrefix + hf_module_name(model, name);
    const std::string why = "r = " + std::to_string(a.lora.r) + ", " + name + " maps " +
                            std::to_string(p->in_features()) + " → " + std::to_string(p->out_features());
    auto A = take(key + ".lora_A.weight", {a.lora.r, p->in_features()}, why);
    auto B = take(key + ".lora_B.weight", {p->out_features(), a.lora.r}, why);
    if (!p->has_lora()) p->attach_lora(a.lora.r, a.lora.alpha, a.lora.dropout);
    SM_CHECK(p->lora().A.size(0) == a.lora.r, "adapter ", cpath, ": field 'r' is ", a.lora.r, " but ", name,
             " already has a rank-", p->lora().A.size(0), " adapter");
    p->lora().A.copy_(A);
    p->lora().B.copy_(B);
    p->lora().scale = a.lora.scale();
  }
  const auto matrices = vocabulary_matrices(model);
  for (const auto& [module, ids] : a.token_ids) {
    const auto* m = find_matrix(matrices, module);
    if (m == nullptr && module == "lm_head" && find_matrix(matrices, "") != nullptr) continue;  // tied head
    SM_CHECK(m != nullptr, "adapter ", cpath, ": field 'trainable_token_indices' names '", module,
             "', which is not a vocabulary matrix of this model");
    const int64_t V = m->second.size(0), C = m->second.size(1);
    for (int64_t id : ids)
      SM_CHECK(id < V, "adapter ", cpath, ": field 'trainable_token_indices' has token id ", id,
               " but ", m->first, " has ", V, " rows. Hint: the base needs the added tokens");
    const std::string key = kKeyPrefix + hf_module_name(model, m->first) + kRowsSuffix;
    auto values = take(key, {int64_t(ids.size()), C}, "the rows of " + m->first);
    if (rows != nullptr) {
      bool found = false;
      for (auto& e : rows->entries()) {
        if (e.module != m->first) continue;
        SM_CHECK(rows->ids() == ids, "adapter ", cpath, ": field 'trainable_token_indices' differs from the "
                 "rows this run trains");
        e.values.copy_(values);
        found = true;
      }
      SM_CHECK(found, "adapter ", cpath, ": token rows of ", m->first, " are not trained by this run");
    } else {
      m->second.index_copy_(0, torch::tensor(ids, torch::kLong).to(m->second.device()),
                            values.to(m->second.device(), m->second.scalar_type()));
    }
  }
  if (rows != nullptr) rows->push_values();
  for (const auto& [key, t] : a.tensors)
    SM_CHECK(used.count(key), "adapter ", wpath, ": unexpected tensor '", key,
             "' (no targeted module of this model has that name)");
}

}  // namespace model
}  // namespace seqmatch
