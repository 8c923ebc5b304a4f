// The training loop's core, shared by both front ends: one call = one optimizer update.
//   batch   = batch_size data trajectories (noise-augmented, DESIGN.md §3) + model_rows replay-
//             buffer trajectories on top (SequenceMatch); short trajectories share a row
//   forward = one packed pass over all states (data/pack.h); bf16 autocast on CUDA
//   loss    = mle | BC warm-up then (1−λ)·BC + λ·SM | emo      (loss/)
//   update  = AdamW (no decay on biases and LayerNorms), warm-up + cosine, clipping, accumulation
//   rollout = every sample_every steps the current model fills the replay buffer (sample/)
// Data: one trajectory per document (data::split_documents), training and validation alike.
// objective.terminal_value = learned: a learned offset of the terminal reward. On a row whose next
// action is <eos>, V' = γ·V_abs with V_abs one trained scalar (0 under "zero", DESIGN.md §3), so
// r = Q(s, <eos>) − γ·V_abs: the implied reward of every terminating action is shifted by the
// same learned constant. It is not the value of a state: no logits define it and π never depends
// on it; it enters the loss only through r and V − V' on terminal rows.
// Why: BC leaves V(s) = logsumexp ℓ at an arbitrary level (≈ 7 on the arithmetic task), so with
// the offset at 0 the r² term sees r ≈ 7 on every terminal row and the first SM steps spend the
// update dragging all logits down, which wrecks the policy. The offset is calibrated at the first
// SequenceMatch step so that the mean terminal r is 0, then trained with the model (AdamW, no
// decay) under the same global-norm gradient clip.
// All randomness is keyed by (seed, step, row) through the counter RNG, so a run resumed from
// a checkpoint continues bit-identically on CPU. Test: ctest -R test_train
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/noise.h"
#include "model/config.h"
#include "model/gpt2.h"
#include "train/replay_buffer.h"
#include "train/train_config.h"

namespace seqmatch {
namespace train {

struct StepMetrics {
  int64_t step = 0;  // updates done after this one
  double lr = 0, loss = 0, bc = 0, sm = 0, phi_term = 0, v_term = 0, r2_term = 0;
  double mean_r = 0, mean_v = 0, demd = 0, grad_norm = 0, v_absorb = 0;
  int64_t data_rows = 0, model_rows = 0, tokens = 0, actions = 0, backspaces = 0;
  int64_t packed_rows = 0, packed_positions = 0;  // the forward's (B, T): what the step paid for
  double t_forward = 0, t_backward = 0, t_optim = 0, t_rollout = 0, t_total = 0;
  nlohmann::json to_json() const;
};

class Trainer {
 public:
  explicit Trainer(TrainConfig config);

  StepMetrics step();
  // Validation NLL per token, token-only (loss::token_nll: softmax over the vocabulary without
  // <bkspc>, comparable across objectives and equal to Java's ModelPerplexity.evaluateExamples)
  // over the first eval_batches × batch_size validation trajectories; NaN without validation data.
  double evaluate();
  // Checkpoint: model (config.json + model.safetensors) + optimizer + replay buffer + state.
  void save(const std::string& dir);
  void resume(const std::string& dir);

  int64_t steps_done() const { return step_; }
  const TrainConfig& config() const { return config_; }
  model::GPT2 model() const { return model_; }
  const model::ModelConfig& model_config() const { return model_config_; }
  const ReplayBuffer& replay() const { return replay_; }
  // The terminal-reward offset V_abs (terminal_value = learned; undefined otherwise).
  const torch::Tensor& v_absorb() const { return v_absorb_; }

 private:
  void init_model();
  void init_optimizer();
  // One micro-batch as rows of trajectories (data::pack_rows): batch_size data trajectories,
  // then replay.model_rows replay trajectories on top (SequenceMatch), short ones sharing rows.
  std::vector<std::vector<data::ActionTrace>> next_batch(int64_t micro);
  void rollout(StepMetrics& m);
  bool sequence_match_active() const;

  TrainConfig config_;
  torch::Device device_{torch::kCPU};
  bool amp_ = false;
  model::GPT2 model_{nullptr};
  model::ModelConfig model_config_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<data::Example> train_, validation_;
  std::unique_ptr<data::Loader> loader_;
  data::NoiseOptions noise_;
  ReplayBuffer replay_;
  torch::Tensor e_hat_;  // EMO: frozen, row-normalised LM head at the start
  torch::Tensor v_absorb_;          // V_abs, scalar (terminal_value = learned); undefined otherwise
  bool v_absorb_calibrated_ = false;
  int64_t step_ = 0;
};

}  // namespace train
}  // namespace seqmatch
