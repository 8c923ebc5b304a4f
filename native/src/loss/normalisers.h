// The denominators of the losses' batch means, computed from the packed batch alone (no logits).
// One process uses its batch's own. Under data parallelism (train/process_group.h) each rank holds
// a shard of the global batch: the trainer sums every denominator over the ranks before the loss,
// so each rank's loss is its share Σ_local / Σ_global of the global batch mean, and the shares'
// gradients, summed by the all-reduce, are exactly one process's gradient on the whole batch.
// (Averaging per-rank means instead would weight a row by the size of the shard it landed in,
// and the run would depend on the world size.) Test: ctest -R test_loss, test_distributed
#pragma once

#include <array>

#include "data/pack.h"

namespace seqmatch {
namespace loss {

struct Normalisers {
  double data_weight = 0;    // Σ w = γ^t over data loss rows: E_D (sequence_match.h)
  double model_weight = 0;   // Σ w over replay-buffer loss rows: E_M
  double expert_rows = 0;    // BC / MLE / EMO target rows (expert data rows; all data rows if noise_as_expert)
  double data_rows = 0;      // data loss rows: the mean_r / mean_v diagnostics
  double terminal_rows = 0;  // loss rows whose action is <eos>: terminal_q

  static constexpr int kCount = 5;  // fields, in the order of as_array
  std::array<double, kCount> as_array() const;
  static Normalisers from_array(const double* v);
};

Normalisers normalisers(const data::PackedBatch& p, double gamma, bool noise_as_expert);

}  // namespace loss
}  // namespace seqmatch
