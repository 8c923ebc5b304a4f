// Trainer checkpoints (see trainer.h): one directory holding the model files, optimizer.pt
// (AdamW moments and step counts), replay.bin and trainer_state.json (step, data position,
// config). Written atomically; resume restores every piece, so on CPU a resumed run is
// bit-identical to an uninterrupted one (all other randomness is keyed by the step).
#include <fstream>
#include <sstream>

#include "model/checkpoint.h"
#include "train/trainer.h"
#include "util/atomic_dir.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

void Trainer::save(const std::string& dir) {
  util::write_dir_atomically(dir, [&](const std::string& tmp) {
    model::write_model_files(model_, model_config_, tmp);
    torch::save(*optimizer_, tmp + "/optimizer.pt");
    replay_.save(tmp + "/replay.bin");
    nlohmann::json state = {{"format_version", 1},
                            {"step", step_},
                            {"epoch", loader_->epoch()},
                            {"index", loader_->index()},
                            {"config", config_.to_json()}};
    if (v_absorb_.defined()) {
      state["v_absorb"] = v_absorb_.item<double>();
      state["v_absorb_calibrated"] = v_absorb_calibrated_;
    }
    std::ofstream out(tmp + "/trainer_state.json");
    out << state.dump(2) << "\n";
    out.flush();
    SM_CHECK(out.good(), "checkpoint ", dir, ": cannot write trainer_state.json");
  });
}

void Trainer::resume(const std::string& dir) {
  std::ifstream in(dir + "/trainer_state.json");
  SM_CHECK(in.good(), "checkpoint ", dir, ": no trainer_state.json (not a training checkpoint?)");
  std::stringstream ss;
  ss << in.rdbuf();
  auto state = nlohmann::json::parse(ss.str(), nullptr, false);
  SM_CHECK(state.is_object() && state.contains("step") && state.contains("epoch") &&
               state.contains("index"),
           "checkpoint ", dir, ": trainer_state.json is corrupt");
  auto ckpt = model::load_checkpoint(dir, torch::kCPU);
  auto mine = model_->named_parameters();
  auto theirs = ckpt.model->named_parameters();
  SM_CHECK(mine.size() == theirs.size(), "checkpoint ", dir, ": model does not match the config");
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mine) {
      SM_CHECK(theirs.contains(p.key()) && theirs[p.key()].sizes() == p.value().sizes(), "checkpoint ",
               dir, ": tensor '", p.key(), "' does not match the configured model");
      p.value().copy_(theirs[p.key()]);
    }
  }
  torch::load(*optimizer_, dir + "/optimizer.pt", device_);
  replay_.load(dir + "/replay.bin");
  step_ = state["step"].get<int64_t>();
  loader_->restore(state["epoch"].get<int64_t>(), state["index"].get<int64_t>());
  if (v_absorb_.defined()) {
    SM_CHECK(state.contains("v_absorb") && state["v_absorb"].is_number(), "checkpoint ", dir,
             ": trainer_state.json has no v_absorb but the config learns the terminal value");
    torch::NoGradGuard no_grad;
    v_absorb_.fill_(state["v_absorb"].get<double>());
    v_absorb_calibrated_ = state.value("v_absorb_calibrated", false);
  }
}

}  // namespace train
}  // namespace seqmatch
