// Learnable token data shared by the training tests: a start digit d, then d+1, d+2, ... (mod 16),
// then <eos>; prompt = the first digit. Lengths 6..10 tokens before <eos>, varied by the index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "train/train_config.h"

namespace seqmatch {
namespace testing {

inline std::vector<data::Example> counting_examples(int n, uint64_t seed, int64_t eos) {
  std::vector<data::Example> out;
  for (int i = 0; i < n; ++i) {
    data::Example e;
    const int64_t d = int64_t((seed * 7 + uint64_t(i) * 5) % 16);
    for (int k = 0; k < 6 + (i % 5); ++k) e.tokens.push_back((d + k) % 16);
    e.tokens.push_back(eos);
    e.prompt_length = 1;
    out.push_back(e);
  }
  return out;
}

// A run small enough for a unit test on counting data written into dir (train.smtok, val.smtok):
// SequenceMatch's replay and noise settings included, no periodic validation or checkpoints. The
// model fields are the caller's (a scratch size, or model.init).
inline train::TrainConfig counting_run(const std::filesystem::path& dir, const std::string& objective, int64_t eos) {
  data::write_smtok((dir / "train.smtok").string(), counting_examples(64, 1, eos));
  data::write_smtok((dir / "val.smtok").string(), counting_examples(16, 2, eos));
  train::TrainConfig c;
  c.train_data = (dir / "train.smtok").string();
  c.validation_data = (dir / "val.smtok").string();
  c.objective = objective;
  c.warmup_bc_steps = 3;
  c.sample_every = 2;
  c.rollouts = 4;
  c.model_rows = 2;
  c.rollout_max_new_tokens = 10;
  c.noise_eta = 0.1;
  c.batch_size = 6;
  c.lr = 3e-3;
  c.min_lr = 3e-4;
  c.warmup_steps = 2;
  c.max_steps = 10;
  c.eval_every = 0;
  c.checkpoint_every = 0;
  c.out_dir = (dir / "run").string();
  c.seed = 5;
  return c;
}

}  // namespace testing
}  // namespace seqmatch
