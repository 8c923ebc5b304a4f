// The shared loop policy: see run.h.
#include "train/run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/checkpoint.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace fs = std::filesystem;

Run::Run(TrainConfig config) : trainer_(config), out_dir_(config.out_dir) {
  fs::create_directories(fs::path(out_dir_) / "checkpoints");
  std::ofstream(fs::path(out_dir_) / "config.resolved.json") << config.to_json().dump(2) << "\n";
}

void Run::resume(const std::string& resume_from) {
  if (resume_from.empty()) return;
  std::string dir = resume_from;
  if (resume_from == "latest") {
    std::ifstream in(fs::path(out_dir_) / "checkpoints" / "latest");
    SM_CHECK(in.good(), "resume: no checkpoint recorded in ", out_dir_, "/checkpoints/latest");
    std::string name;
    std::getline(in, name);
    dir = (fs::path(out_dir_) / "checkpoints" / name).string();
  }
  trainer_.resume(dir);
  // Metrics written after the checkpoint by the interrupted run are dropped, so the log
  // reads as one uninterrupted run.
  const auto path = fs::path(out_dir_) / "metrics.jsonl";
  std::ifstream in(path);
  std::stringstream kept;
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("step", int64_t(0)) <= trainer_.steps_done()) kept << line << "\n";
  }
  in.close();
  std::ofstream(path, std::ios::trunc) << kept.str();
}

void Run::log(const nlohmann::json& line) {
  std::ofstream out(fs::path(out_dir_) / "metrics.jsonl", std::ios::app);
  out << line.dump() << "\n";
}

std::string Run::checkpoint(const std::string& name) {
  const auto dir = fs::path(out_dir_) / "checkpoints" / name;
  trainer_.save(dir.string());
  // Point "latest" at it atomically (temp + rename).
  const auto latest = fs::path(out_dir_) / "checkpoints" / "latest";
  const auto tmp = latest.string() + ".tmp";
  std::ofstream(tmp) << name << "\n";
  fs::rename(tmp, latest);
  return dir.string();
}

nlohmann::json Run::step() {
  const auto& c = trainer_.config();
  auto metrics = trainer_.step();
  const int64_t s = trainer_.steps_done();
  nlohmann::json out = {{"train", metrics.to_json()}};
  out["train"]["kind"] = "train";
  log(out["train"]);
  if (c.eval_every > 0 && s % c.eval_every == 0 && s < c.max_steps) {
    const double v = trainer_.evaluate();
    out["eval"] = {{"kind", "eval"}, {"step", s}, {"val_loss", v}, {"val_ppl", std::exp(v)}};
    log(out["eval"]);
  }
  if (c.checkpoint_every > 0 && s % c.checkpoint_every == 0 && s < c.max_steps) {
    char name[32];
    std::snprintf(name, sizeof(name), "step-%07lld", static_cast<long long>(s));
    out["checkpoint"] = checkpoint(name);
  }
  return out;
}

nlohmann::json Run::finish() {
  const int64_t s = trainer_.steps_done();
  const double v = trainer_.evaluate();
  nlohmann::json out = {{"eval", {{"kind", "eval"}, {"step", s}, {"val_loss", v}, {"val_ppl", std::exp(v)}}}};
  log(out["eval"]);
  char name[32];
  std::snprintf(name, sizeof(name), "step-%07lld", static_cast<long long>(s));
  out["checkpoint"] = checkpoint(name);
  auto model = trainer_.model();
  model::save_checkpoint(model, trainer_.model_config(), (fs::path(out_dir_) / "final").string());
  out["final"] = (fs::path(out_dir_) / "final").string();
  return out;
}

}  // namespace train
}  // namespace seqmatch
