// The shared loop policy: see run.h.
#include "train/run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "model/checkpoint.h"
#include "train/resume_check.h"
#include "util/atomic_dir.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace fs = std::filesystem;

namespace {

// Only rank 0 writes the run directory, so only rank 0 locks it.
std::unique_ptr<util::DirLock> lock_if_writer(const std::string& out_dir) {
  return distributed_env().rank == 0 ? std::make_unique<util::DirLock>(out_dir) : nullptr;
}

}  // namespace

Run::Run(TrainConfig config)
    : lock_(lock_if_writer(config.out_dir)), trainer_(config), out_dir_(config.out_dir), writer_(lock_ != nullptr) {
  if (!writer_) return;
  const auto checkpoints = fs::path(out_dir_) / "checkpoints";
  fs::create_directories(checkpoints);
  // Under the lock no other writer is active here: whatever .tmp-/.old- entries exist were
  // left by a killed run.
  util::recover_atomic_writes(checkpoints.string());
  util::recover_atomic_writes(out_dir_, "final");
  util::recover_atomic_writes(out_dir_, "config.resolved.json");
  util::recover_atomic_writes(out_dir_, "metrics.jsonl");
  util::write_file_atomically((fs::path(out_dir_) / "config.resolved.json").string(),
                              config.to_json().dump(2) + "\n");
}

void Run::resume(const std::string& resume_from, const std::vector<std::string>& allow_changes) {
  if (resume_from.empty()) return;
  std::string dir = resume_from;
  if (resume_from == "latest") {
    const auto pointer = fs::path(out_dir_) / "checkpoints" / "latest";
    std::ifstream in(pointer);
    SM_CHECK(in.good(), "resume: no checkpoint recorded in ", pointer.string());
    std::string name;
    std::getline(in, name);
    SM_CHECK(!name.empty() && name.find('/') == std::string::npos && name != "." && name != "..",
             "resume: ", pointer.string(), " does not name a checkpoint (got '", name, "')");
    dir = (fs::path(out_dir_) / "checkpoints" / name).string();
    SM_CHECK(fs::is_regular_file(fs::path(dir) / "trainer_state.json"), "resume: ", pointer.string(),
             " names ", dir, ", which is not a complete checkpoint");
  }
  const auto state = read_trainer_state(dir);
  if (state.contains("config")) check_resume_config(state["config"], trainer_.config(), allow_changes, dir);
  trainer_.resume(dir);
  if (!writer_) return;
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
  util::write_file_atomically(path.string(), kept.str());
}

void Run::log(const nlohmann::json& line) {
  if (!writer_) return;
  const auto path = fs::path(out_dir_) / "metrics.jsonl";
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  out.flush();
  SM_CHECK(out.good(), "cannot append to ", path.string(), " (disk full?)");
}

std::string Run::checkpoint(const std::string& name) {
  const auto dir = fs::path(out_dir_) / "checkpoints" / name;
  if (!writer_) return dir.string();  // every rank holds the same state: rank 0's copy is the checkpoint
  trainer_.save(dir.string());
  // Only now, with the directory complete and published, does "latest" move to it; if this
  // write fails (disk full) "latest" still names the previous complete checkpoint.
  util::write_file_atomically((fs::path(out_dir_) / "checkpoints" / "latest").string(), name + "\n");
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
  if (writer_) trainer_.save_final((fs::path(out_dir_) / "final").string());
  out["final"] = (fs::path(out_dir_) / "final").string();
  return out;
}

}  // namespace train
}  // namespace seqmatch
