// config.json of a checkpoint: Hugging Face config fields of its model_type (GPT2Config,
// LlamaConfig, Qwen2Config; so HF tools read ours and we read theirs) plus a "seqmatch" object
// for what HF has no field for (<bkspc> id, tokenizer, ...). Unsupported variants (other
// activations, GPT-2's n_inner or scaled/upcast attention, rope_scaling types other than linear
// and llama3, Qwen2 sliding windows, ...) are refused with the field named rather than silently
// loaded wrong. Test: ctest -R test_checkpoint, test_llama
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "model/gpt2.h"
#include "model/llama.h"

namespace seqmatch {
namespace model {

struct SpecialTokens {
  int64_t bos = -1, eos = -1, pad = -1, bkspc = -1;  // -1 = absent
};

struct ModelConfig {
  std::string model_type = "gpt2";  // "gpt2" (gpt2 below) or "llama"/"qwen2" (llama below)
  GPT2Options gpt2;
  LlamaOptions llama;
  SpecialTokens tokens;
  nlohmann::json seqmatch = nlohmann::json::object();  // carried through load/save untouched
  // Files of a loaded Hugging Face directory kept with the model and written verbatim into saved
  // checkpoints (kCarriedFiles): name -> content.
  std::map<std::string, std::string> carried_files;
  std::string torch_dtype = "float32";  // what the weights are stored as (HF's field), set on save

  bool is_gpt2() const { return model_type == "gpt2"; }
  int64_t vocab_size() const { return is_gpt2() ? gpt2.vocab_size() : llama.vocab_size; }
  int64_t max_positions() const { return is_gpt2() ? gpt2.n_positions() : llama.max_position_embeddings; }
  // The GPT-2-named summary every family has (api.h ModelSpec): C, blocks, query heads, norm ε.
  int64_t hidden_size() const { return is_gpt2() ? gpt2.n_embd() : llama.hidden_size; }
  int64_t n_layer() const { return is_gpt2() ? gpt2.n_layer() : llama.num_hidden_layers; }
  int64_t n_head() const { return is_gpt2() ? gpt2.n_head() : llama.num_attention_heads; }
  double norm_epsilon() const { return is_gpt2() ? gpt2.layer_norm_epsilon() : llama.rms_norm_eps; }
  void set_vocab_size(int64_t v) {
    gpt2.vocab_size(v);
    llama.vocab_size = v;
  }
};

// Tokenizer and generation files a Hugging Face checkpoint carries beside its weights.
inline const char* const kCarriedFiles[] = {"tokenizer.json", "tokenizer_config.json",
                                            "generation_config.json", "special_tokens_map.json"};

// HF config.json fields of the Llama/Qwen2 families besides vocab_size and the special-token ids
// (what a training config's "model" block may carry to describe one; train/train_config.h).
inline const char* const kLlamaConfigFields[] = {
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_theta", "rope_scaling", "attention_bias",
    "mlp_bias", "tie_word_embeddings", "hidden_act", "initializer_range", "use_sliding_window"};

// Parses and validates config.json; errors name the file and field.
ModelConfig read_config(const std::string& path);
// The same from parsed JSON; `where` starts error messages ("checkpoint DIR/config.json").
ModelConfig parse_config(const nlohmann::json& j, const std::string& where);
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
void check_sizes(const LlamaOptions& o, const std::string& where, const std::string& prefix);
// Checks the special-token ids fit the vocabulary.
void validate_tokens(const SpecialTokens& t, int64_t vocab_size);

}  // namespace model
}  // namespace seqmatch
