// The loop policy both front ends share: one run_step = one update, then validation and a
// checkpoint when due; metrics go to <out_dir>/metrics.jsonl. `seqmatch train` (Java) and
// `seqmatch-train` (native) both call this, so the same config gives the same curve.
// "val_loss" in the eval lines is Trainer::evaluate's token-only validation NLL (comparable across
// objectives, equal to Java's ModelPerplexity.evaluateExamples).
// Checkpoints: <out_dir>/checkpoints/step-NNNNNNN, and <out_dir>/checkpoints/latest names
// the newest complete one (a one-line file replaced atomically after the checkpoint directory
// is published, util/atomic_dir.h). A Run holds an exclusive lock on out_dir (util/dir_lock.h)
// from construction to destruction, and first cleans what killed writers left behind.
// Data parallel (train/process_group.h): every rank runs this same loop (the validation and the
// metrics are collective), but only rank 0 takes the lock and writes: metrics.jsonl,
// config.resolved.json, checkpoints and final/. Every rank reads a checkpoint to resume, so with
// several nodes out_dir must be on a shared filesystem.
// Test: ctest -R test_train, test_distributed
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "train/trainer.h"
#include "util/dir_lock.h"

namespace seqmatch {
namespace train {

class Run {
 public:
  explicit Run(TrainConfig config);
  // resume_from: "" (fresh), a checkpoint directory, or "latest" (<out_dir>/checkpoints/latest).
  // The checkpoint's config must equal this run's except for bookkeeping fields and the
  // changeable fields named in allow_changes (train/resume_check.h).
  void resume(const std::string& resume_from, const std::vector<std::string>& allow_changes = {});

  bool finished() const { return trainer_.steps_done() >= trainer_.config().max_steps; }
  // {"train": metrics, "eval": {...}?, "checkpoint": dir?}
  nlohmann::json step();
  // Final validation + checkpoint (also written as <out_dir>/final as a plain model dir).
  nlohmann::json finish();
  Trainer& trainer() { return trainer_; }

 private:
  void log(const nlohmann::json& line);
  std::string checkpoint(const std::string& name);

  std::unique_ptr<util::DirLock> lock_;  // first member: taken (rank 0) before the trainer loads anything
  Trainer trainer_;
  std::string out_dir_;
  bool writer_;  // rank 0
};

}  // namespace train
}  // namespace seqmatch
