// LoRA attachment by module name: see lora.h.
#include "model/lora.h"

#include <cmath>
#include <regex>

#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// PEFT's list match: the whole name, or its tail after a dot; "all-linear" is every projection but
// the output head, as PEFT expands it.
bool name_matches(const std::string& name, const std::string& target) {
  if (target == "all-linear") return name != "lm_head" && !ends_with(name, ".lm_head");
  return name == target || ends_with(name, "." + target);
}

bool targeted(const std::string& name, const LoraConfig& c) {
  if (!c.target_regex.empty()) return std::regex_match(name, std::regex(c.target_regex));
  for (const auto& t : c.target_modules)
    if (name_matches(name, t)) return true;
  return false;
}

}  // namespace

double LoraConfig::scale() const { return use_rslora ? alpha / std::sqrt(double(r)) : alpha / double(r); }

nlohmann::json LoraConfig::targets_json() const {
  return target_regex.empty() ? nlohmann::json(target_modules) : nlohmann::json(target_regex);
}

LoraConfig parse_lora_block(const nlohmann::json& j, const std::string& where) {
  SM_CHECK(j.is_object(), where, ": field 'lora' must be an object (got ", j.dump(), ")");
  LoraConfig c;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    if (k == "r") {
      SM_CHECK(v.is_number_integer() && v.get<int64_t>() > 0, where, ": field 'lora.r' must be an integer > 0 (got ",
               v.dump(), ")");
      c.r = v.get<int64_t>();
    } else if (k == "alpha") {
      SM_CHECK(v.is_number() && v.get<double>() > 0, where, ": field 'lora.alpha' must be a number > 0 (got ",
               v.dump(), ")");
      c.alpha = v.get<double>();
    } else if (k == "dropout") {
      SM_CHECK(v.is_number() && v.get<double>() >= 0 && v.get<double>() < 1, where,
               ": field 'lora.dropout' must be in [0, 1) (got ", v.dump(), ")");
      c.dropout = v.get<double>();
    } else if (k == "target_modules" && v.is_string() && !v.get<std::string>().empty()) {
      // PEFT's string forms: "all-linear", or one regular expression matched against whole names.
      if (v.get<std::string>() == "all-linear") {
        c.target_modules.push_back("all-linear");
      } else {
        c.target_regex = v.get<std::string>();
        try {
          std::regex check(c.target_regex);
        } catch (const std::regex_error& e) {
          SM_CHECK(false, where, ": field 'lora.target_modules' is not a valid regular expression (",
                   v.dump(), "): ", e.what());
        }
      }
    } else if (k == "target_modules") {
      SM_CHECK(v.is_array() && !v.empty(), where,
               ": field 'lora.target_modules' must be a non-empty list of module names (got ", v.dump(),
               "). Hint: [\"c_attn\", \"c_proj\", \"c_fc\"] for GPT-2, [\"q_proj\", \"k_proj\", \"v_proj\", "
               "\"o_proj\", \"gate_proj\", \"up_proj\", \"down_proj\"] for Llama");
      for (const auto& t : v) {
        SM_CHECK(t.is_string() && !t.get<std::string>().empty(), where,
                 ": field 'lora.target_modules' holds a non-name ", t.dump());
        c.target_modules.push_back(t.get<std::string>());
      }
    } else {
      SM_CHECK(false, where, ": unknown field 'lora.", k, "' (known: r, alpha, dropout, target_modules)");
    }
  }
  SM_CHECK(!c.target_modules.empty() || !c.target_regex.empty(), where, ": field 'lora.target_modules' is required");
  return c;
}

std::vector<std::pair<std::string, Projection>> projections(torch::nn::Module& model) {
  std::vector<std::pair<std::string, Projection>> out;
  for (const auto& m : model.named_modules("", /*include_self=*/false)) {
    if (auto p = std::dynamic_pointer_cast<ProjectionImpl>(m.value())) out.emplace_back(m.key(), Projection(p));
  }
  return out;
}

std::vector<std::pair<std::string, Projection>> lora_targets(torch::nn::Module& model, const LoraConfig& c,
                                                             const std::string& where) {
  const auto all = projections(model);
  std::string names;  // the distinct last components, for the hint
  for (const auto& [name, p] : all) {
    const std::string last = name.substr(name.rfind('.') + 1);
    if (names.find("'" + last + "'") == std::string::npos) names += (names.empty() ? "'" : ", '") + last + "'";
  }
  std::vector<std::pair<std::string, Projection>> out;
  for (const auto& [name, p] : all)
    if (targeted(name, c)) out.emplace_back(name, p);
  if (!c.target_regex.empty()) {
    SM_CHECK(!out.empty(), where, ": field 'target_modules' ('", c.target_regex,
             "') matches no linear projection of this model (its projections: ", names, ")");
    return out;
  }
  for (const auto& t : c.target_modules) {
    bool hit = false;
    for (const auto& [name, p] : all) hit = hit || name_matches(name, t);
    SM_CHECK(hit, where, ": field 'target_modules' entry '", t,
             "' matches no linear projection of this model (its projections: ", names, ")");
  }
  return out;
}

void attach_lora(torch::nn::Module& model, const LoraConfig& c, const std::string& where) {
  auto targets = lora_targets(model, c, where);
  for (auto& p : model.parameters()) p.requires_grad_(false);
  for (auto& [name, p] : targets) {
    p->attach_lora(c.r, c.alpha, c.dropout);
    p->lora().scale = c.scale();
  }
}

std::vector<torch::Tensor> lora_parameters(torch::nn::Module& model) {
  std::vector<torch::Tensor> out;
  for (auto& [name, p] : projections(model)) {
    if (!p->has_lora()) continue;
    out.push_back(p->lora().A);
    out.push_back(p->lora().B);
  }
  return out;
}

void merge_lora(torch::nn::Module& model) {
  for (auto& [name, p] : projections(model))
    if (p->has_lora()) p->merge_lora();
}

std::string hf_module_name(torch::nn::Module& model, const std::string& local) {
  // GPT-2 registers GPT2Model's modules at the top (wte, h.N, ...) and its checkpoints add
  // "transformer."; the head is tied, so there is no lm_head module to exempt.
  const auto params = model.named_parameters();
  if (params.contains("wte.weight")) return "transformer." + local;
  // A Llama-style model registered without HF's "model." level (embed_tokens, layers.N, norm at the
  // top): everything but the head lives under "model." in HF's names.
  if (params.contains("embed_tokens.weight") && local.rfind("lm_head", 0) != 0) return "model." + local;
  return local;
}

}  // namespace model
}  // namespace seqmatch
