// The training configuration: see train_config.h.
#include "train/train_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "model/config.h"
#include "model/family.h"
#include "model/lora.h"
#include "score/constraint.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

// Reads section.key into `out` if present, checking its JSON type; records the key as known.
class Reader {
 public:
  Reader(const nlohmann::json& root, std::string origin) : root_(root), origin_(std::move(origin)) {}

  template <typename T>
  void get(const char* section, const char* key, T& out) {
    known_[section].insert(key);
    const nlohmann::json* s = section[0] ? (root_.contains(section) ? &root_[section] : nullptr) : &root_;
    if (s == nullptr || !s->contains(key) || (*s)[key].is_null()) return;
    const auto& v = (*s)[key];
    const std::string name = std::string(section[0] ? std::string(section) + "." : "") + key;
    try {
      if constexpr (std::is_same_v<T, std::string>) {
        SM_CHECK(v.is_string(), "");
      } else if constexpr (std::is_same_v<T, bool>) {
        SM_CHECK(v.is_boolean(), "");
      } else if constexpr (std::is_integral_v<T>) {
        SM_CHECK(v.is_number_integer(), "");
      } else if constexpr (std::is_floating_point_v<T>) {
        SM_CHECK(v.is_number(), "");
      }
      out = v.get<T>();
    } catch (const std::exception&) {
      SM_CHECK(false, "config ", origin_, ": field '", name, "' has the wrong type (got ", v.dump(), ")");
    }
  }

  void get_json(const char* section, const char* key, nlohmann::json& out) {
    known_[section].insert(key);
    if (root_.contains(section) && root_[section].contains(key)) out = root_[section][key];
  }

  // Every key present must have been asked for.
  void reject_unknown() {
    for (auto it = root_.begin(); it != root_.end(); ++it) {
      if (known_.count(it.key()) && it.key() != "") {
        SM_CHECK(it.value().is_object(), "config ", origin_, ": field '", it.key(),
                 "' must be an object (got ", it.value().dump(), ")");
        for (auto jt = it.value().begin(); jt != it.value().end(); ++jt) {
          SM_CHECK(known_[it.key()].count(jt.key()), "config ", origin_, ": unknown field '",
                   it.key(), ".", jt.key(), "'");
        }
      } else {
        SM_CHECK(known_[""].count(it.key()), "config ", origin_, ": unknown field '", it.key(), "'");
      }
    }
  }

 private:
  const nlohmann::json& root_;
  std::string origin_;
  std::map<std::string, std::set<std::string>> known_;
};

}  // namespace

TrainConfig parse_train_config(const nlohmann::json& j, const std::string& origin) {
  SM_CHECK(j.is_object(), "config ", origin, ": not a JSON object");
  TrainConfig c;
  Reader r(j, origin);
  r.get("model", "init", c.init);
  r.get("model", "model_type", c.model_type);
  r.get("model", "dtype", c.dtype);
  for (const char* key : model::kLlamaConfigFields) {
    nlohmann::json v;
    r.get_json("model", key, v);
    if (!v.is_null()) c.hf_fields[key] = v;
  }
  r.get("model", "vocab_size", c.vocab_size);
  r.get("model", "n_positions", c.n_positions);
  r.get("model", "n_embd", c.n_embd);
  r.get("model", "n_layer", c.n_layer);
  r.get("model", "n_head", c.n_head);
  r.get("model", "bos_token_id", c.bos_token_id);
  r.get("model", "eos_token_id", c.eos_token_id);
  r.get("model", "pad_token_id", c.pad_token_id);
  r.get("model", "bkspc_token_id", c.bkspc_token_id);
  r.get_json("model", "tokenizer", c.tokenizer);
  r.get("data", "train", c.train_data);
  r.get("data", "validation", c.validation_data);
  r.get("objective", "type", c.objective);
  r.get("objective", "divergence", c.divergence);
  r.get("objective", "gamma", c.gamma);
  r.get("objective", "alpha", c.alpha);
  r.get("objective", "lambda", c.lambda);
  r.get("objective", "warmup_bc_steps", c.warmup_bc_steps);
  r.get("objective", "noise_as_expert", c.noise_as_expert);
  r.get("objective", "terminal_value", c.terminal_value);
  r.get("objective", "baseline", c.gdc_baseline);
  r.get_json("gdc", "constraints", c.gdc_constraints);
  r.get("gdc", "samples", c.gdc_samples);
  r.get("gdc", "max_new_tokens", c.gdc_max_new_tokens);
  r.get("gdc", "fit_samples", c.gdc_fit_samples);
  r.get("gdc", "fit_tol", c.gdc_fit_tol);
  r.get("noise", "eta", c.noise_eta);
  r.get("noise", "kind", c.noise_kind);
  r.get("noise", "candidates", c.noise_candidates);
  r.get("replay", "sample_every", c.sample_every);
  r.get("replay", "buffer_size", c.buffer_size);
  r.get("replay", "model_rows", c.model_rows);
  r.get("replay", "max_new_tokens", c.rollout_max_new_tokens);
  r.get("replay", "rollouts", c.rollouts);
  r.get("optim", "lr", c.lr);
  r.get("optim", "min_lr", c.min_lr);
  r.get("optim", "weight_decay", c.weight_decay);
  r.get("optim", "beta1", c.beta1);
  r.get("optim", "beta2", c.beta2);
  r.get("optim", "eps", c.eps);
  r.get("optim", "grad_clip", c.grad_clip);
  r.get("optim", "warmup_steps", c.warmup_steps);
  r.get("", "max_steps", c.max_steps);
  r.get("", "batch_size", c.batch_size);
  r.get("", "grad_accum", c.grad_accum);
  r.get("", "eval_every", c.eval_every);
  r.get("", "eval_batches", c.eval_batches);
  r.get("", "checkpoint_every", c.checkpoint_every);
  r.get("", "log_every", c.log_every);
  r.get("", "out_dir", c.out_dir);
  r.get("", "seed", c.seed);
  r.get("", "device", c.device);
  r.get("", "amp", c.amp);
  r.get("", "head_keep_mb", c.head_keep_mb);
  r.get("distributed", "timeout_s", c.dist_timeout_s);
  r.get("distributed", "bucket_mb", c.dist_bucket_mb);
  nlohmann::json lora_key;  // the block is read whole by model::parse_lora_block, which names unknown keys
  for (const char* k : {"r", "alpha", "dropout", "target_modules"}) r.get_json("lora", k, lora_key);
  if (j.contains("lora") && j["lora"].is_object()) {
    model::parse_lora_block(j["lora"], "config " + origin);
    c.lora = j["lora"];
  }
  r.reject_unknown();

  auto bad = [&](bool ok, const char* field, const std::string& why) {
    SM_CHECK(ok, "config ", origin, ": field '", field, "' ", why);
  };
  const bool gdc = c.objective == "gdc++" || c.objective == "dpg";
  bad(c.objective == "mle" || c.objective == "sequence_match" || c.objective == "emo" || gdc,
      "objective.type", "must be mle, sequence_match, emo, gdc++ or dpg (got '" + c.objective + "')");
  // Distribution matching learns from its own samples: training data is optional there.
  bad(gdc || c.train_data.size() > 0, "data.train", "is required (a .smtok file from 'seqmatch prepare')");
  if (gdc) {
    if (c.objective == "dpg") {
      bad(!j.contains("objective") || !j["objective"].contains("baseline") || !c.gdc_baseline,
          "objective.baseline", "must be false or absent with objective dpg (DPG is GDC++ without the baseline)");
      c.gdc_baseline = false;
    }
    bad(!c.gdc_constraints.is_null(), "gdc.constraints", "is required with objective " + c.objective +
        " (e.g. [{\"scorer\": \"word\", \"pattern\": \"the\"}])");
    score::parse_constraints(c.gdc_constraints, origin);
    bad(c.gdc_samples >= 2, "gdc.samples", "must be >= 2 (got " + std::to_string(c.gdc_samples) + ")");
    bad(c.gdc_max_new_tokens >= 1, "gdc.max_new_tokens", "must be >= 1 (got " + std::to_string(c.gdc_max_new_tokens) + ")");
    bad(c.gdc_fit_samples >= 2, "gdc.fit_samples", "must be >= 2 (got " + std::to_string(c.gdc_fit_samples) + ")");
    bad(c.gdc_fit_tol > 0 && c.gdc_fit_tol < 1, "gdc.fit_tol", "must be in (0, 1)");
    bad(c.grad_accum == 1, "grad_accum", "must be 1 with objective " + c.objective + ": raise gdc.samples instead");
  }
  bad(c.gamma > 0 && c.gamma <= 1, "objective.gamma", "must be in (0, 1]");
  bad(c.alpha > 0, "objective.alpha", "must be > 0");
  bad(c.lambda >= 0 && c.lambda <= 1, "objective.lambda", "must be in [0, 1]");
  bad(c.terminal_value == "zero" || c.terminal_value == "learned", "objective.terminal_value",
      "must be zero or learned (got '" + c.terminal_value + "')");
  bad(c.noise_eta >= 0 && c.noise_eta < 1, "noise.eta", "must be in [0, 1)");
  bad(c.lr > 0 && c.min_lr >= 0 && c.min_lr <= c.lr, "optim.lr", "must be > 0 and >= optim.min_lr");
  bad(c.batch_size > 0, "batch_size", "must be > 0");
  bad(c.grad_accum > 0, "grad_accum", "must be > 0");
  bad(c.head_keep_mb >= 0, "head_keep_mb", "must be >= 0 (0 = recompute the head's logits in the backward; got " +
      std::to_string(c.head_keep_mb) + ")");
  bad(c.max_steps > 0, "max_steps", "must be > 0");
  bad(c.model_rows >= 0, "replay.model_rows", "must be >= 0 (got " + std::to_string(c.model_rows) + ")");
  bad(c.rollouts >= 0, "replay.rollouts", "must be >= 0");
  // Intervals: 0 switches a periodic action off; a negative one was accepted silently (issue 14).
  bad(c.eval_every >= 0, "eval_every", "must be >= 0 (0 = only at the end; got " + std::to_string(c.eval_every) + ")");
  bad(c.eval_batches >= 0, "eval_batches", "must be >= 0 (got " + std::to_string(c.eval_batches) + ")");
  bad(c.checkpoint_every >= 0, "checkpoint_every",
      "must be >= 0 (0 = only at the end; got " + std::to_string(c.checkpoint_every) + ")");
  bad(c.log_every >= 0, "log_every", "must be >= 0 (got " + std::to_string(c.log_every) + ")");
  bad(c.sample_every >= 1, "replay.sample_every", "must be >= 1 (got " + std::to_string(c.sample_every) + ")");
  bad(c.buffer_size >= 0, "replay.buffer_size", "must be >= 0 (got " + std::to_string(c.buffer_size) + ")");
  bad(c.rollout_max_new_tokens >= 1, "replay.max_new_tokens",
      "must be >= 1 (got " + std::to_string(c.rollout_max_new_tokens) + ")");
  bad(c.warmup_bc_steps >= 0, "objective.warmup_bc_steps",
      "must be >= 0 (got " + std::to_string(c.warmup_bc_steps) + ")");
  bad(c.warmup_steps >= 0, "optim.warmup_steps", "must be >= 0 (got " + std::to_string(c.warmup_steps) + ")");
  if (c.objective == "sequence_match") {
    // Replay trajectories come on top of the batch_size data trajectories, but can only be
    // replayed if rollouts fill the buffer. model_rows = 0: SM without replay.
    bad(c.rollouts > 0 || c.model_rows == 0, "replay.rollouts",
        "must be >= 1 with objective sequence_match and replay.model_rows > 0 (got 0): "
        "nothing would fill the replay buffer. Hint: set replay.model_rows = 0 to train without replay");
  }
  model::parse_dtype(c.dtype, "config " + origin + ": field 'model.dtype'");
  if (c.init != "scratch" && !c.hf_fields.empty()) {  // silently ignoring it would train another model
    bad(false, ("model." + c.hf_fields.begin().key()).c_str(),
        "is an architecture field, but model.init loads '" + c.init +
            "', whose config.json decides the architecture. Hint: remove the field, or set model.init to scratch");
  }
  if (c.model_type == "gpt2" && !c.hf_fields.empty()) {
    bad(false, ("model." + c.hf_fields.begin().key()).c_str(),
        "is a Llama/Qwen2 field but model.model_type is gpt2. Hint: set model.model_type to llama or qwen2");
  }
  if (c.init == "scratch") {  // a checkpoint's sizes are checked against its weights when loaded
    if (c.model_type == "gpt2") {
      model::GPT2Options o;
      o.vocab_size(c.vocab_size).n_positions(c.n_positions).n_embd(c.n_embd).n_layer(c.n_layer).n_head(c.n_head);
      model::check_sizes(o, "config " + origin, "model.");
    } else {
      model::parse_config(c.scratch_model_json(), "config " + origin + ": model");
    }
  }
  bad(c.dist_timeout_s >= 1, "distributed.timeout_s", "must be >= 1 (got " + std::to_string(c.dist_timeout_s) + ")");
  bad(c.dist_bucket_mb > 0, "distributed.bucket_mb", "must be > 0");
  bad(c.amp == "auto" || c.amp == "bf16" || c.amp == "off", "amp", "must be auto, bf16 or off");
  return c;
}

void apply_override(nlohmann::json& j, const std::string& assignment) {
  // Every failure is one line naming the assignment, worded as TrainConfig.withOverride (Java) words it.
  const auto eq = assignment.find('=');
  SM_CHECK(eq != std::string::npos && eq > 0, "override '", assignment, "': expected key=value");
  const std::string path = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  nlohmann::json v = parsed.is_discarded() ? nlohmann::json(value) : parsed;
  std::vector<std::string> parts;
  for (size_t begin = 0;;) {
    const size_t dot = path.find('.', begin);
    parts.push_back(path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin));
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  for (const auto& part : parts) {
    SM_CHECK(!part.empty(), "override '", assignment, "': empty key in '", path, "'");
  }
  SM_CHECK(j.is_object(), "override '", assignment, "': the config is not a JSON object");
  nlohmann::json* node = &j;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    auto it = node->find(parts[i]);
    if (it == node->end() || it->is_null()) {
      node = &((*node)[parts[i]] = nlohmann::json::object());
      continue;
    }
    SM_CHECK(it->is_object(), "override '", assignment, "': '", parts[i], "' is not a section (got ",
             it->dump(), ")");
    node = &*it;
  }
  (*node)[parts.back()] = v;
}

TrainConfig load_train_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  SM_CHECK(in.good(), "config ", path, ": cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  SM_CHECK(!j.is_discarded(), "config ", path, ": not valid JSON");
  SM_CHECK(j.is_object(), "config ", path, ": not a JSON object");
  for (const auto& o : overrides) apply_override(j, o);
  return parse_train_config(j, path);
}

nlohmann::json TrainConfig::scratch_model_json() const {
  nlohmann::json j = hf_fields;
  j["model_type"] = model_type;
  j["vocab_size"] = vocab_size;
  if (model_type == "gpt2") {
    j["n_positions"] = n_positions;
    j["n_embd"] = n_embd;
    j["n_layer"] = n_layer;
    j["n_head"] = n_head;
  }
  return j;
}

nlohmann::json TrainConfig::to_json() const {
  nlohmann::json j;
  j["model"] = {{"init", init}, {"vocab_size", vocab_size}, {"n_positions", n_positions},
                {"n_embd", n_embd}, {"n_layer", n_layer}, {"n_head", n_head},
                {"bos_token_id", bos_token_id}, {"eos_token_id", eos_token_id},
                {"pad_token_id", pad_token_id}, {"bkspc_token_id", bkspc_token_id},
                {"tokenizer", tokenizer}};
  // Written only when set, so checkpoints of GPT-2 runs from before these fields still resume.
  if (model_type != "gpt2") j["model"]["model_type"] = model_type;
  if (dtype != "float32") j["model"]["dtype"] = dtype;
  for (auto it = hf_fields.begin(); it != hf_fields.end(); ++it) j["model"][it.key()] = it.value();
  j["data"] = {{"train", train_data}, {"validation", validation_data}};
  j["objective"] = {{"type", objective}, {"divergence", divergence}, {"gamma", gamma},
                    {"alpha", alpha}, {"lambda", lambda}, {"warmup_bc_steps", warmup_bc_steps},
                    {"noise_as_expert", noise_as_expert}, {"terminal_value", terminal_value}};
  if (objective == "gdc++" || objective == "dpg") {
    j["objective"]["baseline"] = gdc_baseline;
    j["gdc"] = {{"constraints", gdc_constraints}, {"samples", gdc_samples}, {"max_new_tokens", gdc_max_new_tokens},
                {"fit_samples", gdc_fit_samples}, {"fit_tol", gdc_fit_tol}};
  }
  j["noise"] = {{"eta", noise_eta}, {"kind", noise_kind}, {"candidates", noise_candidates}};
  j["replay"] = {{"sample_every", sample_every}, {"buffer_size", buffer_size},
                 {"model_rows", model_rows}, {"max_new_tokens", rollout_max_new_tokens},
                 {"rollouts", rollouts}};
  j["optim"] = {{"lr", lr}, {"min_lr", min_lr}, {"weight_decay", weight_decay}, {"beta1", beta1},
                {"beta2", beta2}, {"eps", eps}, {"grad_clip", grad_clip},
                {"warmup_steps", warmup_steps}};
  j["max_steps"] = max_steps;
  j["batch_size"] = batch_size;
  j["grad_accum"] = grad_accum;
  j["eval_every"] = eval_every;
  j["eval_batches"] = eval_batches;
  j["checkpoint_every"] = checkpoint_every;
  j["log_every"] = log_every;
  j["out_dir"] = out_dir;
  j["seed"] = seed;
  j["device"] = device;
  j["amp"] = amp;
  j["head_keep_mb"] = head_keep_mb;
  j["distributed"] = {{"timeout_s", dist_timeout_s}, {"bucket_mb", dist_bucket_mb}};
  if (!lora.is_null()) j["lora"] = lora;
  return j;
}

}  // namespace train
}  // namespace seqmatch
