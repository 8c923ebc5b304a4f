// config.json of a checkpoint: Hugging Face GPT2Config fields (so HF tools read ours and we read
// theirs) plus a "seqmatch" object for what HF has no field for (<bkspc> id, tokenizer, ...).
// Unsupported GPT-2 variants (other activations, n_inner, scaled/upcast attention) are refused
// with the field named rather than silently loaded wrong. Test: ctest -R test_checkpoint
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "model/gpt2.h"

namespace seqmatch {
namespace model {

struct SpecialTokens {
  int64_t bos = -1, eos = -1, pad = -1, bkspc = -1;  // -1 = absent
};

struct ModelConfig {
  GPT2Options gpt2;
  SpecialTokens tokens;
  nlohmann::json seqmatch = nlohmann::json::object();  // carried through load/save untouched
};

// Parses and validates config.json; errors name the file and field.
ModelConfig read_config(const std::string& path);
std::string config_to_json(const ModelConfig& config);
// Sane upper limits on the sizes, checked before anything is allocated: a typo such as
// n_layer 1e6 must be an error naming the field, not minutes of allocation. `where` starts the
// message ("checkpoint DIR/config.json", "config FILE"), `prefix` qualifies field names ("model.").
struct SizeLimits {
  static constexpr int64_t vocab_size = int64_t(1) << 24;   // largest real vocabularies: ~256k
  static constexpr int64_t n_positions = int64_t(1) << 20;
  static constexpr int64_t n_embd = int64_t(1) << 16;
  static constexpr int64_t n_layer = 1024;
  static constexpr int64_t n_head = int64_t(1) << 12;
};
void check_sizes(const GPT2Options& o, const std::string& where, const std::string& prefix);
// Checks the special-token ids fit the vocabulary.
void validate_tokens(const SpecialTokens& t, int64_t vocab_size);

}  // namespace model
}  // namespace seqmatch
