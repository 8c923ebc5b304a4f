// objective.type = "gdc++" | "dpg": distribution matching (Korbak et al. 2022, Algorithm 1) as one
// Trainer step (loss/gdc.h has the formulas):
//   1. draw gdc.samples sequences x ~ q from the start token with the batched sampler (no <bkspc>:
//      the target is over texts, and a backspace policy's probability of a text is a sum over
//      traces); at the first step also gdc.fit_samples sequences x ~ a for fitting λ;
//   2. score them: word / regex natively (score/text_scorer.h), onnx / external constraints by the
//      front end (api.h trainer_gdc_*: it reads samples(), then set_scores / set_texts);
//   3. λ (distributional constraints), once: loss::fit_moments on the samples from a;
//   4. log a(x), log q(x) (frozen copies, no grad) and log π(x) by one full forward each, float32
//      without autocast (ratios of sequence probabilities need the precision);
//   5. weights and estimates (KL(p‖π), KL(p‖q), KL(π‖a), E_π[φ]) with the pooled Z;
//   6. proposal refresh: if KL(p‖π) < KL(p‖q) on these samples, q ← π (the parameters just
//      evaluated, before this update), as in the paper;
//   7. loss = −mean_i w_i log π(x_i), back to the Trainer for backward / clip / AdamW.
// a is a frozen copy of the policy taken when the Trainer is built (before any resume), i.e. the
// initial model. A checkpoint keeps λ, Z's running sums, the refresh count (trainer_state.json) and
// q's weights (proposal.pt), so a resumed run continues exactly.
// Test: ctest -R test_gdc
#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "loss/gdc.h"
#include "model/config.h"
#include "model/config.h"
#include "model/decoder_lm.h"
#include "score/constraint.h"
#include "score/text_scorer.h"
#include "train/train_config.h"

namespace seqmatch {
namespace train {

class GdcObjective {
 public:
  GdcObjective(const TrainConfig& config, model::DecoderLM policy, const model::ModelConfig& model_config,
               torch::Device device);

  // Draws this step's samples (a no-op when already drawn for `step`). Rows [0, fit_rows()) come
  // from a for fitting λ (first step only), the rest from q. Returns the number of rows.
  int64_t draw(int64_t step);
  const std::vector<std::vector<int64_t>>& samples() const { return samples_; }  // generated ids
  int64_t fit_rows() const { return fit_rows_; }
  // Scores of constraint `name` for every drawn row (onnx / external scorers), and the texts of the
  // rows when the front end decodes them (tokenizers other than the built-in byte one).
  void set_scores(const std::string& name, std::vector<double> scores);
  void set_texts(std::vector<std::string> texts);  // one per drawn row, in order
  // Steps 2-7 above for `step`; adds the gdc_* metrics to `metrics`.
  torch::Tensor loss(model::DecoderLM policy, int64_t step, nlohmann::json& metrics);

  // Throws, naming the first constraint this process cannot score without a front end (onnx, external,
  // or word / regex on the text of a tokenizer other than the byte one): the native binary calls it.
  void check_native_scoring() const;
  const std::vector<score::Constraint>& constraints() const { return constraints_; }
  const std::vector<double>& lambda() const { return lambda_; }
  nlohmann::json state() const;
  // q's parameters, for proposal.pt in a checkpoint directory (written by the Trainer); restore reads it.
  void save_proposal(torch::serialize::OutputArchive& archive) const;
  void restore(const nlohmann::json& state, const std::string& dir);

 private:
  std::vector<std::vector<int64_t>> sample_from(model::DecoderLM m, int64_t n, uint64_t seed);
  torch::Tensor features(int64_t begin, int64_t end);  // (rows, K) φ in [0, 1], float64
  void fit_lambda(const torch::Tensor& phi);

  TrainConfig config_;
  model::SpecialTokens tokens_;
  torch::Device device_;
  int64_t start_token_ = 0;
  bool byte_text_ = false;  // the byte tokenizer: word / regex read the ids as UTF-8 bytes
  std::vector<score::Constraint> constraints_;
  std::vector<std::unique_ptr<score::TextScorer>> scorers_;  // per constraint; null unless native
  model::DecoderLM a_, q_;
  std::vector<double> lambda_;  // per constraint (0 for pointwise ones)
  bool fitted_ = false;
  loss::PartitionEstimate z_;
  int64_t refreshes_ = 0;
  // The current draw.
  int64_t drawn_step_ = -1, fit_rows_ = 0;
  std::vector<std::vector<int64_t>> samples_;
  std::vector<std::string> texts_;
  std::map<std::string, std::vector<double>> scores_;
};

// log m(x) (N) float64 of the sequences [start, x...] (x = samples[begin, end)), by one full
// forward over the padded batch; `banned` (<bkspc> when sampling without it) is outside the softmax.
torch::Tensor sequence_log_probs(model::DecoderLM m, const std::vector<std::vector<int64_t>>& samples, int64_t begin,
                                 int64_t end, int64_t start, int64_t banned, torch::Device device);
// A copy of m's architecture and weights that takes no gradient: a(x) and the proposal q.
model::DecoderLM frozen_copy(const model::DecoderLM& m, model::ModelConfig config, torch::Device device);
// q ← π: copies the weights of `from` into `to`.
void copy_weights(const model::DecoderLM& from, const model::DecoderLM& to);

}  // namespace train
}  // namespace seqmatch
