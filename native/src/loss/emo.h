// EMO (Ren et al. 2023, "EMO: Earth Mover Distance Optimization for Auto-Regressive Language
// Modeling", Eq. 9-10, and the authors' code): per token t the differentiable EMD upper bound
//   DEMD_t = Σ_i q_i · (1 − cos(e_i, e_y))  with e = a frozen, row-normalised copy of the
//   LM-head weights taken when training starts, q = the model's distribution;
//   loss_t = ½[MLE_t + stopgrad(MLE_t / DEMD_t)·DEMD_t],  loss = mean of loss_t over expert data rows.
// The ratio is per token, as in the authors' code: each token's DEMD gradient is rescaled to its
// own MLE magnitude (a batch-level ratio would let a few hard tokens set every token's scale).
// In value loss = mean MLE_t; only the gradient differs from MLE.
// DEMD is computed in fp32 even under bf16 autocast: 1 − cos is a difference of numbers near 1,
// which bf16 (8 mantissa bits) would round away.
// The cost matrix only means something for a pretrained LM head: from scratch e is random and
// DEMD is noise (the trainer warns). Σ_i q_i·cos(e_i, e_y) = (qᵀÊ)·ê_y, so no (V × V) cost
// matrix is formed. Test: ctest -R test_loss
#pragma once

#include <torch/torch.h>

#include "data/pack.h"
#include "loss/head.h"
#include "loss/normalisers.h"

namespace seqmatch {
namespace loss {

struct EmoTerms {
  torch::Tensor loss, mle, demd;  // scalars: mean loss_t, mean MLE_t, mean DEMD_t over expert data rows
};

// e_hat: (V, C) frozen, row-normalised embedding copy. head: the LM head's outputs for
// policy_query(p, bkspc_id, e_hat) (head.h: qe = Σ_i q_i·ê_i comes from there, chunked).
// totals: the denominator (normalisers.h, expert_rows); null = this batch's own.
EmoTerms emo_loss(const HeadOutput& head, const data::PackedBatch& p, const torch::Tensor& e_hat,
                  const Normalisers* totals = nullptr);
// The same from full logits (B, T, V).
EmoTerms emo_loss(const torch::Tensor& logits, const data::PackedBatch& p, int64_t bkspc_id,
                  const torch::Tensor& e_hat, const Normalisers* totals = nullptr);

}  // namespace loss
}  // namespace seqmatch
