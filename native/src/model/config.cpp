// config.json <-> ModelConfig: see config.h.
#include "model/config.h"

#include <fstream>
#include <cmath>
#include <sstream>
#include <tuple>

#include "util/check.h"

namespace seqmatch {
namespace model {

namespace {

int64_t required_int(const nlohmann::json& j, const std::string& where, const char* key,
                     const char* fallback = nullptr) {
  const char* k = j.contains(key) ? key : (fallback && j.contains(fallback) ? fallback : nullptr);
  SM_CHECK(k != nullptr, where, ": missing field '", key, "'");
  SM_CHECK(j[k].is_number_integer() && j[k].get<int64_t>() > 0, where, ": field '",
           k, "' must be a positive integer (got ", j[k].dump(), ")");
  return j[k].get<int64_t>();
}

int64_t optional_int(const nlohmann::json& j, const std::string& where, const char* key, int64_t fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  return required_int(j, where, key);
}

double optional_positive(const nlohmann::json& j, const std::string& where, const char* key, double fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  SM_CHECK(j[key].is_number() && j[key].get<double>() > 0, where, ": field '", key,
           "' must be a positive number (got ", j[key].dump(), ")");
  return j[key].get<double>();
}

bool optional_bool(const nlohmann::json& j, const std::string& where, const char* key, bool fallback) {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  SM_CHECK(j[key].is_boolean(), where, ": field '", key, "' must be true or false (got ", j[key].dump(), ")");
  return j[key].get<bool>();
}

int64_t optional_token(const nlohmann::json& j, const std::string& where, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return -1;
  // HF allows a list of eos ids; the first is the one we end generation on.
  const auto& v = j[key].is_array() && !j[key].empty() ? j[key][0] : j[key];
  SM_CHECK(v.is_number_integer() && v.get<int64_t>() >= 0, where, ": field '", key,
           "' must be a token id (got ", j[key].dump(), ")");
  return v.get<int64_t>();
}

void require_value(const nlohmann::json& j, const std::string& where, const char* key,
                   const nlohmann::json& supported, const char* family) {
  if (!j.contains(key) || j[key].is_null()) return;
  SM_CHECK(j[key] == supported, where, ": unsupported ", key, "=", j[key].dump(), " (SeqMatch's ",
           family, " supports ", supported.dump(), ")");
}

GPT2Options parse_gpt2(const nlohmann::json& j, const std::string& where) {
  require_value(j, where, "activation_function", "gelu_new", "GPT-2");
  require_value(j, where, "scale_attn_weights", true, "GPT-2");
  require_value(j, where, "scale_attn_by_inverse_layer_idx", false, "GPT-2");
  require_value(j, where, "reorder_and_upcast_attn", false, "GPT-2");
  require_value(j, where, "tie_word_embeddings", true, "GPT-2");
  GPT2Options o;
  o.vocab_size(required_int(j, where, "vocab_size"))
      .n_positions(required_int(j, where, "n_positions", "n_ctx"))
      .n_embd(required_int(j, where, "n_embd"))
      .n_layer(required_int(j, where, "n_layer"))
      .n_head(required_int(j, where, "n_head"));
  check_sizes(o, where, "");
  if (j.contains("n_inner") && !j["n_inner"].is_null()) require_value(j, where, "n_inner", 4 * o.n_embd(), "GPT-2");
  o.layer_norm_epsilon(optional_positive(j, where, "layer_norm_epsilon", o.layer_norm_epsilon()));
  return o;
}

// rope_scaling (HF: "rope_type", older files "type"); "default" or null = none.
RopeScaling parse_rope_scaling(const nlohmann::json& j, const std::string& where, const char* field) {
  RopeScaling r;
  if (!j.contains(field) || j[field].is_null()) return r;
  const auto& s = j[field];
  SM_CHECK(s.is_object(), where, ": field '", field, "' must be an object or null (got ", s.dump(), ")");
  const char* type_key = s.contains("rope_type") ? "rope_type" : "type";
  const std::string key = std::string(field) + "." + type_key;
  SM_CHECK(s.contains(type_key) && s[type_key].is_string(), where, ": field '", key, "' must be a string");
  r.type = s[type_key].get<std::string>();
  if (r.type == "default") return RopeScaling{};
  SM_CHECK(r.type == "linear" || r.type == "llama3", where, ": unsupported ", key, "=\"", r.type,
           "\" (SeqMatch supports linear and llama3)");
  auto number = [&](const char* k, double fallback, bool required) {
    const std::string name = std::string(field) + "." + k;
    SM_CHECK(!required || s.contains(k), where, ": missing field '", name, "'");
    if (!s.contains(k) || s[k].is_null()) return fallback;
    SM_CHECK(s[k].is_number() && s[k].get<double>() > 0, where, ": field '", name,
             "' must be a positive number (got ", s[k].dump(), ")");
    return s[k].get<double>();
  };
  r.factor = number("factor", 1.0, true);
  if (r.type == "llama3") {
    r.low_freq_factor = number("low_freq_factor", 1.0, true);
    r.high_freq_factor = number("high_freq_factor", 4.0, true);
    r.original_max_position_embeddings = int64_t(number("original_max_position_embeddings", 8192, true));
    SM_CHECK(r.high_freq_factor > r.low_freq_factor, where, ": field '", field,
             ".high_freq_factor' must exceed low_freq_factor");
  }
  return r;
}

LlamaOptions parse_llama(const nlohmann::json& j, const std::string& where, const std::string& model_type) {
  const char* family = model_type == "qwen2" ? "Qwen2" : "Llama";
  require_value(j, where, "hidden_act", "silu", family);
  LlamaOptions o;
  o.model_type = model_type;
  o.vocab_size = required_int(j, where, "vocab_size");
  o.hidden_size = required_int(j, where, "hidden_size");
  o.intermediate_size = required_int(j, where, "intermediate_size");
  o.num_hidden_layers = required_int(j, where, "num_hidden_layers");
  o.num_attention_heads = required_int(j, where, "num_attention_heads");
  o.num_key_value_heads = optional_int(j, where, "num_key_value_heads", o.num_attention_heads);
  o.max_position_embeddings = optional_int(j, where, "max_position_embeddings", o.max_position_embeddings);
  o.head_dim = optional_int(j, where, "head_dim", 0);
  o.rms_norm_eps = optional_positive(j, where, "rms_norm_eps", o.rms_norm_eps);
  o.initializer_range = optional_positive(j, where, "initializer_range", o.initializer_range);
  o.rope_theta = optional_positive(j, where, "rope_theta", model_type == "qwen2" ? 1e6 : 1e4);
  o.rope_scaling = parse_rope_scaling(j, where, "rope_scaling");
  if (j.contains("rope_parameters") && j["rope_parameters"].is_object()) {  // transformers ≥ 5
    o.rope_theta = optional_positive(j["rope_parameters"], where + " rope_parameters", "rope_theta", o.rope_theta);
    if (o.rope_scaling.type.empty()) o.rope_scaling = parse_rope_scaling(j, where, "rope_parameters");
  }
  o.mlp_bias = optional_bool(j, where, "mlp_bias", false);
  o.tie_word_embeddings = optional_bool(j, where, "tie_word_embeddings", false);
  if (model_type == "llama") {
    o.attention_bias = optional_bool(j, where, "attention_bias", false);
  } else {
    // Qwen2 always has q/k/v biases; a sliding window would change which keys a query sees.
    require_value(j, where, "use_sliding_window", false, family);
  }
  check_sizes(o, where, "");
  return o;
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

void check_sizes(const LlamaOptions& o, const std::string& where, const std::string& prefix) {
  for (auto [name, value, limit] : {std::tuple<const char*, int64_t, int64_t>{"vocab_size", o.vocab_size, SizeLimits::vocab_size},
                                    {"max_position_embeddings", o.max_position_embeddings, SizeLimits::n_positions},
                                    {"hidden_size", o.hidden_size, SizeLimits::n_embd},
                                    {"intermediate_size", o.intermediate_size, 4 * SizeLimits::n_embd},
                                    {"num_hidden_layers", o.num_hidden_layers, SizeLimits::n_layer},
                                    {"num_attention_heads", o.num_attention_heads, SizeLimits::n_head},
                                    {"num_key_value_heads", o.num_key_value_heads, SizeLimits::n_head}}) {
    SM_CHECK(value > 0 && value <= limit, where, ": field '", prefix, name, "' must be in [1, ", limit,
             "] (got ", value, ")");
  }
  SM_CHECK(o.num_attention_heads % o.num_key_value_heads == 0, where, ": ", prefix,
           "num_attention_heads must be a multiple of ", prefix, "num_key_value_heads (got ",
           o.num_attention_heads, " and ", o.num_key_value_heads, ")");
  SM_CHECK(o.head_dim > 0 || o.hidden_size % o.num_attention_heads == 0, where, ": ", prefix,
           "hidden_size must be a multiple of ", prefix, "num_attention_heads when head_dim is not given (got ",
           o.hidden_size, " and ", o.num_attention_heads, ")");
  SM_CHECK(o.head_dim_or_default() % 2 == 0 && o.head_dim_or_default() <= SizeLimits::n_embd, where, ": field '",
           prefix, "head_dim' must be even (rotary pairs) (got ", o.head_dim_or_default(), ")");
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
  return parse_config(j, "checkpoint " + path);
}

ModelConfig parse_config(const nlohmann::json& j, const std::string& where) {
  SM_CHECK(j.is_object(), where, ": not a JSON object");
  ModelConfig c;
  if (j.contains("model_type")) {
    SM_CHECK(j["model_type"].is_string(), where, ": field 'model_type' must be a string");
    c.model_type = j["model_type"].get<std::string>();
  }
  if (c.model_type == "gpt2") {
    c.gpt2 = parse_gpt2(j, where);
  } else {
    SM_CHECK(c.model_type == "llama" || c.model_type == "qwen2", where, ": unsupported model_type=\"",
             c.model_type, "\" (SeqMatch supports gpt2, llama, qwen2)");
    c.llama = parse_llama(j, where, c.model_type);
  }
  c.tokens.bos = optional_token(j, where, "bos_token_id");
  c.tokens.eos = optional_token(j, where, "eos_token_id");
  c.tokens.pad = optional_token(j, where, "pad_token_id");
  if (j.contains("seqmatch")) {
    SM_CHECK(j["seqmatch"].is_object(), where, ": field 'seqmatch' must be an object");
    c.seqmatch = j["seqmatch"];
    c.tokens.bkspc = optional_token(c.seqmatch, where, "bkspc_token_id");
  }
  try {
    validate_tokens(c.tokens, c.vocab_size());
  } catch (const c10::Error& e) {
    SM_CHECK(false, where, ": ", e.what_without_backtrace());
  }
  return c;
}

std::string config_to_json(const ModelConfig& c) {
  auto token = [](int64_t id) { return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id); };
  nlohmann::ordered_json j;
  if (!c.is_gpt2()) {
    const auto& o = c.llama;
    j["architectures"] = {o.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
    j["model_type"] = o.model_type;
    j["vocab_size"] = o.vocab_size;
    j["hidden_size"] = o.hidden_size;
    j["intermediate_size"] = o.intermediate_size;
    j["num_hidden_layers"] = o.num_hidden_layers;
    j["num_attention_heads"] = o.num_attention_heads;
    j["num_key_value_heads"] = o.num_key_value_heads;
    if (o.head_dim > 0) j["head_dim"] = o.head_dim;
    j["max_position_embeddings"] = o.max_position_embeddings;
    j["hidden_act"] = "silu";
    j["rms_norm_eps"] = o.rms_norm_eps;
    j["rope_theta"] = o.rope_theta;
    if (o.rope_scaling.type.empty()) {
      j["rope_scaling"] = nullptr;
    } else {
      nlohmann::ordered_json r;
      r["rope_type"] = o.rope_scaling.type;
      r["factor"] = o.rope_scaling.factor;
      if (o.rope_scaling.type == "llama3") {
        r["low_freq_factor"] = o.rope_scaling.low_freq_factor;
        r["high_freq_factor"] = o.rope_scaling.high_freq_factor;
        r["original_max_position_embeddings"] = o.rope_scaling.original_max_position_embeddings;
      }
      j["rope_scaling"] = r;
    }
    if (o.model_type == "llama") j["attention_bias"] = o.attention_bias;
    if (o.model_type == "qwen2") j["use_sliding_window"] = false;
    j["mlp_bias"] = o.mlp_bias;
    j["tie_word_embeddings"] = o.tie_word_embeddings;
    j["initializer_range"] = o.initializer_range;
    j["attention_dropout"] = 0.0;
  } else {
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
    j["tie_word_embeddings"] = true;
    j["scale_attn_weights"] = true;
    j["attn_pdrop"] = 0.0;
    j["embd_pdrop"] = 0.0;
    j["resid_pdrop"] = 0.0;
  }
  j["bos_token_id"] = token(c.tokens.bos);
  j["eos_token_id"] = token(c.tokens.eos);
  j["pad_token_id"] = token(c.tokens.pad);
  j["torch_dtype"] = c.torch_dtype;
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  s["format_version"] = 1;
  for (auto it = c.seqmatch.begin(); it != c.seqmatch.end(); ++it) s[it.key()] = it.value();
  s["bkspc_token_id"] = token(c.tokens.bkspc);
  j["seqmatch"] = s;
  return j.dump(2) + "\n";
}

}  // namespace model
}  // namespace seqmatch
