// LoRA adapter directories in PEFT's format, so `peft.PeftModel.from_pretrained(base, dir)` loads
// ours and we load adapters trained with PEFT:
//   adapter_config.json        peft_type "LORA", task_type "CAUSAL_LM", r, lora_alpha, lora_dropout,
//                              target_modules, base_model_name_or_path, bias "none", fan_in_fan_out
//                              (true when the targets are GPT-2 Conv1D layers, as PEFT sets it),
//                              use_rslora, and trainable_token_indices {"wte": [50257]} when new
//                              token rows trained (PEFT ≥ 0.15's field: module name → row ids)
//   adapter_model.safetensors  base_model.model.<HF module>.lora_A.weight (r, in) and .lora_B.weight
//                              (out, r) per target, float32; with new rows also
//                              base_model.model.<HF module>.token_adapter.trainable_tokens_delta
//                              (n, C): the rows' values (PEFT's "delta" holds the rows themselves)
//   seqmatch_adapter.json      ours, optional: the special-token ids (the <bkspc> id) and tokenizer,
//                              which the merged checkpoint's config.json needs and PEFT has no field for
// PEFT loads the token rows into a base whose vocabulary already has them
// (model.resize_token_embeddings(max id + 1)); we grow the base ourselves (api/model_api.cpp).
// Reading checks everything before touching a model; errors name the file and field or tensor.
// Test: ctest -R test_lora
#pragma once

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/lora.h"
#include "model/token_rows.h"

namespace seqmatch {
namespace model {

struct Adapter {
  std::string dir;
  LoraConfig lora;
  std::string base_model;                                // base_model_name_or_path
  std::map<std::string, std::vector<int64_t>> token_ids;  // trainable_token_indices (module → ids)
  std::map<std::string, torch::Tensor> tensors;          // adapter_model.safetensors, as stored
  nlohmann::json seqmatch = nlohmann::json::object();    // seqmatch_adapter.json or {}
  // Rows the base needs: 1 + the largest token id (0 without token rows).
  int64_t vocab_needed() const;
};

// Reads and validates an adapter directory (no model needed yet).
Adapter read_adapter(const std::string& dir);

// Writes the three files into an existing directory (callers make it atomic: util/atomic_dir.h).
void write_adapter_files(torch::nn::Module& model, const LoraConfig& config, const TrainableTokenRows& rows,
                         const std::string& base_model, const nlohmann::json& seqmatch, const std::string& dir);

// Loads `a` into `model`. Branches are attached to the targets that have none yet (A, B shape-
// checked against each projection). Token rows go into `rows` (then pushed into the matrices)
// when given, else straight into the matrices. Every target needs its A and B; a tensor for a
// module the config does not target is an error.
void apply_adapter(torch::nn::Module& model, const Adapter& a, TrainableTokenRows* rows = nullptr);

}  // namespace model
}  // namespace seqmatch
