// LoRA on any model (Hu et al. 2021; PEFT's conventions): adapters attach by module name to the
// Projections (model/projection.h) found by named_modules(), so one mechanism serves every
// family. A target_modules entry matches a module whose name is the entry or ends with "." +
// the entry, as PEFT matches a list ("c_attn" → h.0.attn.c_attn; "attn.c_proj" only attention's
// c_proj; "all-linear": every projection but the output head); a single string is a regular
// expression matched against the whole name, as in PEFT.
// Training: the base is frozen (requires_grad false, no optimizer state) and only the A, B of
// each branch (plus the new token rows, model/token_rows.h) train. Files: model/peft_io.h.
// Test: ctest -R test_lora
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "model/projection.h"

namespace seqmatch {
namespace model {

struct LoraConfig {
  int64_t r = 8;
  double alpha = 16;    // scale = alpha / r (alpha / √r with use_rslora)
  double dropout = 0.0;
  bool use_rslora = false;
  std::vector<std::string> target_modules;  // names (PEFT list semantics) ...
  std::string target_regex;                  // ... or one regular expression (PEFT str semantics)
  double scale() const;
  nlohmann::json targets_json() const;  // as adapter_config.json writes them
};

// The training config's "lora" block: {"r", "alpha", "dropout", "target_modules"}. Errors read
// "<where>: field 'lora.r' must be > 0 (got 0)".
LoraConfig parse_lora_block(const nlohmann::json& j, const std::string& where);

// Every Projection of `model` with its module name, in registration order.
std::vector<std::pair<std::string, Projection>> projections(torch::nn::Module& model);
// The projections `c` targets. An entry that matches no module, or only modules that are not
// projections, is an error naming it and listing the projection names there are.
std::vector<std::pair<std::string, Projection>> lora_targets(torch::nn::Module& model, const LoraConfig& c,
                                                             const std::string& where);
// Freezes every parameter of the base, then attaches a fresh branch to each target.
void attach_lora(torch::nn::Module& model, const LoraConfig& c, const std::string& where);
// A and B of every attached branch, in module order (A then B): what the optimizer updates.
std::vector<torch::Tensor> lora_parameters(torch::nn::Module& model);
// Folds every attached branch into its base weight (projection.h merge_lora).
void merge_lora(torch::nn::Module& model);

// Hugging Face's name of a module of `model` ("h.0.attn.c_attn" → "transformer.h.0.attn.c_attn"
// for GPT-2, whose checkpoints prefix its modules; names that already are HF's unchanged), by
// the HF parameter names the model uses. PEFT keys are "base_model.model." + this name.
std::string hf_module_name(torch::nn::Module& model, const std::string& local);

}  // namespace model
}  // namespace seqmatch
