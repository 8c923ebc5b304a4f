// config.json <-> ModelConfig: see config.h.
#include "model/config.h"

#include <fstream>
#include <sstream>
#include <tuple>

#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

int64_t required_int(const nlohmann::json& j, const std::string& path, const char* key,
                     const char* fallback = nullptr) {
  const char* k = j.contains(key) ? key : (fallback && j.contains(fallback) ? fallback : nullptr);
  SM_CHECK(k != nullptr, "checkpoint ", path, ": missing field '", key, "'");
  SM_CHECK(j[k].is_number_integer() && j[k].get<int64_t>() > 0, "checkpoint ", path, ": field '",
           k, "' must be a positive integer (got ", j[k].dump(), ")");
  return j[k].get<int64_t>();
}

int64_t optional_token(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return -1;
  // HF allows a list of eos ids; the first is the one we end generation on.
  const auto& v = j[key].is_array() && !j[key].empty() ? j[key][0] : j[key];
  SM_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0, "checkpoint ", path, ": field '", key,
           "' must be a token id (got ", j[key].dump(), ")");
  return v.get<int64_t>();
}

void require_value(const nlohmann::json& j, const std::string& path, const char* key,
                   const nlohmann::json& supported) {
  if (!j.contains(key) || j[key].is_null()) return;
  SM_CHECK(j[key] == supported, "checkpoint ", path, ": unsupported ", key, "=", j[key].dump(),
           " (SeqMatch's GPT-2 supports ", supported.dump(), ")");
}

}  // namespace

void check_sizes(const GPT2Options& o, const std::string& where, const std::string& prefix) {
  for (auto [name, value, limit] : {std::tuple<const char*, int64_t, int64_t>{"vocab_size", o.vocab_size(), SizeLimits::vocab_size},
                                    {"n_positions", o.n_positions(), SizeLimits::n_positions},
                                    {"n_embd", o.n_embd(), SizeLimits::n_embd},
                                    {"n_layer", o.n_layer(), SizeLimits::n_layer},
                                    {"n_head", o.n_head(), SizeLimits::n_head}}) {
    SM_CHECK(value > 0 && value <= limit, where, ": field '", prefix, name, "' must be in [1, ", limit,
             "] (got ", value, ")");
  }
  SM_CHECK(o.n_embd() % o.n_head() == 0, where, ": ", prefix, "n_embd must be a multiple of ",
           prefix, "n_head (got n_embd=", o.n_embd(), ", n_head=", o.n_head(), ")");
}

void validate_tokens(const SpecialTokens& t, int64_t vocab_size) {
  for (auto [name, id] : {std::pair<const char*, int64_t>{"bos", t.bos}, {"eos", t.eos},
                          {"pad", t.pad}, {"bkspc", t.bkspc}}) {
    SM_CHECK(id >= -1 && id < vocab_size, "special token ", name, "=", id,
             " is outside the vocabulary (size ", vocab_size, ")");
  }
}

ModelConfig read_config(const std::string& path) {
  std::ifstream in(path);
  SM_CHECK(in.good(), "checkpoint ", path, ": cannot open file (is this a checkpoint directory?)");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  SM_CHECK(j.is_object(), "checkpoint ", path, ": not a JSON object");
  if (j.contains("model_type")) require_value(j, path, "model_type", "gpt2");
  require_value(j, path, "activation_function", "gelu_new");
  require_value(j, path, "scale_attn_weights", true);
  require_value(j, path, "scale_attn_by_inverse_layer_idx", false);
  require_value(j, path, "reorder_and_upcast_attn", false);
  require_value(j, path, "tie_word_embeddings", true);

  ModelConfig c;
  c.gpt2.vocab_size(required_int(j, path, "vocab_size"))
      .n_positions(required_int(j, path, "n_positions", "n_ctx"))
      .n_embd(required_int(j, path, "n_embd"))
      .n_layer(required_int(j, path, "n_layer"))
      .n_head(required_int(j, path, "n_head"));
  check_sizes(c.gpt2, "checkpoint " + path, "");
  if (j.contains("n_inner") && !j["n_inner"].is_null()) {
    require_value(j, path, "n_inner", 4 * c.gpt2.n_embd());
  }
  if (j.contains("layer_norm_epsilon")) {
    SM_CHECK(j["layer_norm_epsilon"].is_number() && j["layer_norm_epsilon"].get<double>() > 0,
             "checkpoint ", path, ": field 'layer_norm_epsilon' must be a positive number");
    c.gpt2.layer_norm_epsilon(j["layer_norm_epsilon"].get<double>());
  }
  c.tokens.bos = optional_token(j, path, "bos_token_id");
  c.tokens.eos = optional_token(j, path, "eos_token_id");
  c.tokens.pad = optional_token(j, path, "pad_token_id");
  if (j.contains("seqmatch")) {
    SM_CHECK(j["seqmatch"].is_object(), "checkpoint ", path, ": field 'seqmatch' must be an object");
    c.seqmatch = j["seqmatch"];
    c.tokens.bkspc = optional_token(c.seqmatch, path, "bkspc_token_id");
  }
  try {
    validate_tokens(c.tokens, c.gpt2.vocab_size());
  } catch (const c10::Error& e) {
    SM_CHECK(false, "checkpoint ", path, ": ", e.what_without_backtrace());
  }
  return c;
}

std::string config_to_json(const ModelConfig& c) {
  auto token = [](int64_t id) { return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id); };
  nlohmann::ordered_json j;
  j["architectures"] = {"GPT2LMHeadModel"};
  j["model_type"] = "gpt2";
  j["activation_function"] = "gelu_new";
  j["vocab_size"] = c.gpt2.vocab_size();
  j["n_positions"] = c.gpt2.n_positions();
  j["n_embd"] = c.gpt2.n_embd();
  j["n_layer"] = c.gpt2.n_layer();
  j["n_head"] = c.gpt2.n_head();
  j["n_inner"] = nullptr;
  j["layer_norm_epsilon"] = c.gpt2.layer_norm_epsilon();
  j["bos_token_id"] = token(c.tokens.bos);
  j["eos_token_id"] = token(c.tokens.eos);
  j["pad_token_id"] = token(c.tokens.pad);
  j["tie_word_embeddings"] = true;
  j["scale_attn_weights"] = true;
  j["attn_pdrop"] = 0.0;
  j["embd_pdrop"] = 0.0;
  j["resid_pdrop"] = 0.0;
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  s["format_version"] = 1;
  for (auto it = c.seqmatch.begin(); it != c.seqmatch.end(); ++it) s[it.key()] = it.value();
  s["bkspc_token_id"] = token(c.tokens.bkspc);
  j["seqmatch"] = s;
  return j.dump(2) + "\n";
}

}  // namespace model
}  // namespace seqmatch
