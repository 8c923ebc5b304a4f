// Resume-time config comparison: see resume_check.h.
#include "train/resume_check.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

// model.tokenizer is metadata copied into config.json (the Java front end fills it from the
// prepared data, the native binary does not): it changes nothing that is trained.
const std::vector<std::string> kBookkeeping = {"eval_every", "eval_batches", "log_every",
                                               "checkpoint_every", "out_dir", "model.tokenizer",
                                               "distributed", "distributed.timeout_s", "distributed.bucket_mb"};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Leaves of `a` and `b` (dotted paths) whose values differ, in document order of `b`.
void diff(const nlohmann::json& a, const nlohmann::json& b, const std::string& prefix,
          std::vector<std::string>& out) {
  if (a.is_object() && b.is_object()) {
    for (auto it = b.begin(); it != b.end(); ++it) {
      const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
      diff(a.contains(it.key()) ? a[it.key()] : nlohmann::json(), it.value(), key, out);
    }
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key())) out.push_back(prefix.empty() ? it.key() : prefix + "." + it.key());
    }
    return;
  }
  // 3e-4 saved as a double and read back must compare equal to 3e-4 parsed from the new config.
  if (a.is_number() && b.is_number() && a.get<double>() == b.get<double>()) return;
  if (a != b) out.push_back(prefix);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string value_at(const nlohmann::json& j, const std::string& dotted) {
  const nlohmann::json* node = &j;
  std::stringstream ss(dotted);
  for (std::string part; std::getline(ss, part, '.');) {
    if (!node->is_object() || !node->contains(part)) return "(absent)";
    node = &(*node)[part];
  }
  return node->dump();
}

}  // namespace

const std::vector<std::string> kResumeChangeable = {
    "max_steps",          "optim.lr",         "optim.min_lr", "optim.warmup_steps",
    "optim.weight_decay", "optim.grad_clip",  "data.validation", "device", "amp",
    "head_keep_mb"};

nlohmann::json read_trainer_state(const std::string& dir) {
  std::ifstream in(dir + "/trainer_state.json");
  SM_CHECK(in.good(), "checkpoint ", dir, ": no trainer_state.json (not a training checkpoint?)");
  std::stringstream ss;
  ss << in.rdbuf();
  auto state = nlohmann::json::parse(ss.str(), nullptr, false);
  SM_CHECK(state.is_object() && state.contains("step") && state["step"].is_number_integer() &&
               state.contains("epoch") && state["epoch"].is_number_integer() &&
               state.contains("index") && state["index"].is_number_integer(),
           "checkpoint ", dir, ": trainer_state.json is corrupt");
  return state;
}

void check_resume_config(const nlohmann::json& saved, const TrainConfig& now,
                         const std::vector<std::string>& allowed, const std::string& dir) {
  for (const auto& f : allowed) {
    SM_CHECK(contains(kResumeChangeable, f) || contains(kBookkeeping, f), "resume: --allow-config-change ",
             f, ": not a field that can change on resume (changeable: ", join(kResumeChangeable, ", "), ")");
  }
  std::vector<std::string> changed;
  diff(saved, now.to_json(), "", changed);
  std::string refused, fixed;
  std::vector<std::string> needed;  // changeable fields the flag must name
  for (const auto& f : changed) {
    if (contains(kBookkeeping, f) || contains(allowed, f)) continue;
    if (contains(kResumeChangeable, f)) needed.push_back(f);
    std::string& list = contains(kResumeChangeable, f) ? refused : fixed;
    list += (list.empty() ? "" : ", ") + f + " " + value_at(saved, f) + " -> " + value_at(now.to_json(), f);
  }
  SM_CHECK(fixed.empty(), "resume: checkpoint ", dir, " was trained with a different config: ", fixed,
           refused.empty() ? "" : ", " + refused,
           ". Hint: these fields cannot change within a run; start a new run with model.init = the "
           "checkpoint directory");
  SM_CHECK(refused.empty(), "resume: checkpoint ", dir, " was trained with a different config: ", refused,
           ". Hint: --allow-config-change ", join(needed, ","), " accepts the change");
}

std::vector<std::string> split_field_list(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  for (std::string part; std::getline(ss, part, ',');) {
    const auto b = part.find_first_not_of(" \t"), e = part.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(part.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace train
}  // namespace seqmatch
