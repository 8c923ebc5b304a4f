// EMO (Ren et al. 2023, "EMO: Earth Mover Distance Optimization for Auto-Regressive Language
// Modeling", Eq. 9-10): per token the differentiable EMD upper bound
//   DEMD_t = Σ_i q_i · (1 − cos(e_i, e_y))  with e = a frozen, row-normalised copy of the
//   LM-head weights taken when training starts, q = the model's distribution;
// loss = ½[MLE + stopgrad(MLE / DEMD)·DEMD] over expert data rows.
// Σ_i q_i·cos(e_i, e_y) = (qᵀÊ)·ê_y, so no (V × V) cost matrix is formed.
// Test: ctest -R test_loss
#pragma once

#include <torch/torch.h>

#include "data/pack.h"

namespace seqmatch {
namespace loss {

struct EmoTerms {
  torch::Tensor loss, mle, demd;  // scalars
};

// e_hat: (V, C) frozen, row-normalised embedding copy.
EmoTerms emo_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                  const torch::Tensor& e_hat);

}  // namespace loss
}  // namespace seqmatch
