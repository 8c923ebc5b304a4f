// Trainer checkpoints (see trainer.h): one directory holding the model files, optimizer.pt
// (AdamW moments and step counts), replay.bin and trainer_state.json (step, data position,
// config). Written atomically; resume restores every piece, so on CPU a resumed run is
// bit-identical to an uninterrupted one (all other randomness is keyed by the step).
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

#include "model/checkpoint.h"
#include "model/peft_io.h"
#include "train/resume_check.h"
#include "train/trainer.h"
#include "util/atomic_dir.h"
#include "util/check.h"

namespace seqmatch {
namespace train {

namespace {

// torch::save(optimizer, path) cannot fail cleanly: on a full disk libtorch 1.13 notices only in
// the zip writer's destructor and throws from it (std::terminate). So libtorch writes through a
// callback that always reports success, and the failure is recorded and raised here.
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  SM_CHECK(f != nullptr, "checkpoint ", path, ": cannot create file");
  bool ok = true;
  archive.save_to([&](const void* data, size_t n) -> size_t {
    ok = ok && std::fwrite(data, 1, n, f.get()) == n;
    return n;
  });
  ok = std::fflush(f.get()) == 0 && ok;
  SM_CHECK(ok, "checkpoint ", path, ": write failed (disk full?)");
}

void save_optimizer(const torch::optim::Optimizer& optimizer, const std::string& path) {
  torch::serialize::OutputArchive archive;
  optimizer.save(archive);
  save_archive(archive, path);
}

}  // namespace

void Trainer::save(const std::string& dir) {
  util::write_dir_atomically(dir, [&](const std::string& tmp) {
    if (lora_) write_adapter(tmp); else model::write_model_files(model_, model_config_, tmp);
    save_optimizer(*optimizer_, tmp + "/optimizer.pt");
    replay_.save(tmp + "/replay.bin");
    nlohmann::json state = {{"format_version", 1},
                            {"step", step_},
                            {"epoch", loader_ ? loader_->epoch() : 0},
                            {"index", loader_ ? loader_->index() : 0},
                            {"world_size", world_size()},
                            {"config", config_.to_json()}};
    if (gdc_) {
      state["gdc"] = gdc_->state();
      torch::serialize::OutputArchive archive;
      gdc_->save_proposal(archive);
      save_archive(archive, tmp + "/proposal.pt");
    }
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

nlohmann::json Trainer::adapter_sidecar() const {
  const auto& t = model_config_.tokens;
  nlohmann::json j = {{"bos_token_id", t.bos}, {"eos_token_id", t.eos}, {"pad_token_id", t.pad},
                      {"bkspc_token_id", t.bkspc}, {"vocab_size", model_->vocab_size()}};
  if (model_config_.seqmatch.contains("tokenizer")) j["tokenizer"] = model_config_.seqmatch["tokenizer"];
  return j;
}

void Trainer::write_adapter(const std::string& dir) {
  model::write_adapter_files(*model_, *lora_, token_rows_, config_.init, adapter_sidecar(), dir);
}

void Trainer::save_final(const std::string& dir) {
  if (!lora_) {
    model::save_checkpoint(model_, model_config_, dir);
    return;
  }
  util::write_dir_atomically(dir, [&](const std::string& tmp) { write_adapter(tmp); });
}

void Trainer::resume(const std::string& dir) {
  const auto state = read_trainer_state(dir);
  // The batch split, the rollout split and the order of float sums follow the world size: the
  // continuation is exact only with the same number of processes.
  const int64_t saved_world = state.value("world_size", int64_t(1));
  SM_CHECK(saved_world == world_size(), "resume: checkpoint ", dir, " was written by a run of ", saved_world,
           " process(es), this run has ", world_size(), ": resume is exact only at the same world size. Hint: "
           "start it with --nproc ", saved_world, " (or WORLD_SIZE=", saved_world, " under torchrun)");
  if (lora_) {
    // The base is model.init, unchanged; the adapter and the <bkspc> rows come from the checkpoint.
    model::apply_adapter(*model_, model::read_adapter(dir), &token_rows_);
  } else {
    auto ckpt = model::load_checkpoint(dir, torch::kCPU);
    auto mine = model_->named_parameters();
    auto theirs = ckpt.model->named_parameters();
    SM_CHECK(mine.size() == theirs.size(), "checkpoint ", dir, ": model does not match the config");
    torch::NoGradGuard no_grad;
    for (auto& p : mine) {
      SM_CHECK(theirs.contains(p.key()) && theirs[p.key()].sizes() == p.value().sizes(), "checkpoint ",
               dir, ": tensor '", p.key(), "' does not match the configured model");
      p.value().copy_(theirs[p.key()]);
    }
  }
  try {
    torch::load(*optimizer_, dir + "/optimizer.pt", device_);
  } catch (const c10::Error& e) {
    // libtorch's text names zip internals ("failed finding central directory"): say which file.
    std::string why = e.what_without_backtrace();
    why = why.substr(0, why.find('\n'));
    SM_CHECK(false, "checkpoint ", dir, "/optimizer.pt: unreadable, truncated or not this model's "
             "optimizer state (", why, ")");
  }
  replay_.load(dir + "/replay.bin");
  step_ = state["step"].get<int64_t>();
  if (loader_) loader_->restore(state["epoch"].get<int64_t>(), state["index"].get<int64_t>());
  if (gdc_) gdc_->restore(state.value("gdc", nlohmann::json()), dir);
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
